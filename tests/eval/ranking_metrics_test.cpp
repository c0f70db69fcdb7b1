// Ranking metrics worked by hand: each case spells out its arithmetic, with
// D(i) = 1 / log2(i + 2) the discount of 0-based position i (D(0) = 1, D(1) = 1/log2 3,
// D(2) = 1/2, D(3) = 1/log2 5).
#include "cofi/eval/ranking_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cofi {
namespace {

const double D1 = 1.0 / std::log2(3.0), D3 = 1.0 / std::log2(5.0);

UserRanking score(std::vector<uint32_t> ranked, std::vector<uint32_t> relevant, size_t k) {
  return score_ranking(ranked, relevant, k);
}

void expect(const UserRanking& got, double precision, double recall, double ndcg, double ap, double rr,
            bool hit) {
  EXPECT_NEAR(got.precision, precision, 1e-12);
  EXPECT_NEAR(got.recall, recall, 1e-12);
  EXPECT_NEAR(got.ndcg, ndcg, 1e-12);
  EXPECT_NEAR(got.ap, ap, 1e-12);
  EXPECT_NEAR(got.rr, rr, 1e-12);
  EXPECT_EQ(got.hit, hit);
}

TEST(RankingMetrics, OneHitInTheFirstThree) {
  // ranked 5 1 9 2, relevant {1, 2, 7}, k = 3: the first three are 5 (miss), 1 (hit at 1), 9 (miss).
  //   precision = 1/3; recall = 1/3
  //   DCG = D(1); ideal: min(3, 3) = 3 hits at 0..2: 1 + D(1) + 1/2
  //   AP = (1 / min(3, 3)) * precision@2 = (1/3) * (1/2) = 1/6
  //   RR = 1/2
  expect(score({5, 1, 9, 2}, {1, 2, 7}, 3), 1.0 / 3, 1.0 / 3, D1 / (1 + D1 + 0.5), 1.0 / 6, 0.5, true);
}

TEST(RankingMetrics, TwoHitsInTheFirstFour) {
  // k = 4: hits at 1 (item 1) and 3 (item 2).
  //   precision = 2/4; recall = 2/3
  //   DCG = D(1) + D(3); ideal: min(4, 3) = 3 positions: 1 + D(1) + 1/2
  //   AP = (1/3) * (precision@2 + precision@4) = (1/3) * (1/2 + 2/4) = 1/3
  //   RR = 1/2 (the first hit)
  expect(score({5, 1, 9, 2}, {1, 2, 7}, 4), 0.5, 2.0 / 3, (D1 + D3) / (1 + D1 + 0.5), 1.0 / 3, 0.5, true);
}

TEST(RankingMetrics, AListShorterThanK) {
  // ranked 7 (one candidate), relevant {7, 8}, k = 5: a hit at 0; precision still divides by k.
  //   precision = 1/5; recall = 1/2
  //   DCG = 1; ideal: min(5, 2) = 2 positions: 1 + D(1)
  //   AP = (1 / min(5, 2)) * precision@1 = 1/2
  //   RR = 1
  expect(score({7}, {7, 8}, 5), 0.2, 0.5, 1.0 / (1 + D1), 0.5, 1.0, true);
  // Nothing ranked at all.
  expect(score({}, {7, 8}, 5), 0, 0, 0, 0, 0, false);
}

TEST(RankingMetrics, NoHit) {
  // ranked 3 4 6, relevant {1, 5}: every metric 0, however far k goes.
  expect(score({3, 4, 6}, {1, 5}, 2), 0, 0, 0, 0, 0, false);
  expect(score({3, 4, 6}, {1, 5}, 10), 0, 0, 0, 0, 0, false);
}

TEST(RankingMetrics, HitsBeyondKDoNotCount) {
  // ranked 4 8 1, relevant {1}, k = 2: item 1 is at position 2, outside the cut-off.
  expect(score({4, 8, 1}, {1}, 2), 0, 0, 0, 0, 0, false);
  // k = 3 reaches it: precision 1/3, recall 1, DCG = 1/2 over ideal 1, AP = (1/1) * (1/3), RR = 1/3.
  expect(score({4, 8, 1}, {1}, 3), 1.0 / 3, 1.0, 0.5, 1.0 / 3, 1.0 / 3, true);
}

TEST(RankingMetrics, PerfectAndMoreRelevantThanK) {
  // The relevant items exactly, best first: everything 1.
  expect(score({1, 2, 7}, {1, 2, 7}, 3), 1, 1, 1, 1, 1, true);
  // Five relevant, k = 2, both places hits: precision 1, recall 2/5, NDCG 1 (the ideal has only
  // 2 places), AP = (1/2) * (1 + 1) = 1.
  expect(score({3, 1}, {1, 2, 3, 4, 5}, 2), 1, 0.4, 1, 1, 1, true);
  // Hit only in the second place: precision 1/2, recall 1/5, DCG D(1) over ideal 1 + D(1),
  // AP = (1/2) * (1/2) = 1/4, RR 1/2.
  expect(score({9, 1}, {1, 2, 3, 4, 5}, 2), 0.5, 0.2, D1 / (1 + D1), 0.25, 0.5, true);
}

TEST(RankingMetrics, MeansOverUsers) {
  RankingMetrics m;
  m.add(score({5, 1, 9, 2}, {1, 2, 7}, 3));  // 1/3, 1/3, D1/(1.5+D1), 1/6, 1/2, hit
  m.add(score({3, 4, 6}, {1, 5}, 3));        // all 0, no hit
  m.add(score({1, 2, 7}, {1, 2, 7}, 3));     // all 1, hit
  EXPECT_EQ(m.users, 3u);
  m.finish();
  EXPECT_EQ(m.users, 3u);
  EXPECT_NEAR(m.precision, (1.0 / 3 + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(m.recall, (1.0 / 3 + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(m.ndcg, (D1 / (1.5 + D1) + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(m.map, (1.0 / 6 + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(m.mrr, (0.5 + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(m.hit_rate, 2.0 / 3, 1e-12);
  EXPECT_EQ(m.coverage, 0.0);  // the caller's to set
}

TEST(RankingMetrics, MeansOfNoUsersAreZero) {
  RankingMetrics m;
  m.finish();
  EXPECT_EQ(m.users, 0u);
  for (double v : {m.precision, m.recall, m.ndcg, m.map, m.mrr, m.hit_rate}) EXPECT_EQ(v, 0.0);
}

}  // namespace
}  // namespace cofi
