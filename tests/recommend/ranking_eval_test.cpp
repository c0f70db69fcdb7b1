// Ranking evaluation on a model small enough to rank by hand: the model's and popularity's lists
// for each test user, their metrics, the counts of the report (unseen users, users without a
// relevant item, unreachable relevant items), and the errors.
#include "cofi/recommend/ranking_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cofi/error.h"

namespace cofi {
namespace {

// A dotbias model with one factor, y_range off:
//   users 10, 20, 30 (rows 0..2): factor 1, -1, 0.5; bias 0.25, -0.5, 0.25
//   items 100, 200, 300, 400, 500 (rows 0..4): factor 2, 1, 0, -1, -2; bias 0, 0.5, 0, -2.5, 0.1
// Scores (factor product + user bias + item bias; the user bias does not change a user's order):
//   user 10:  100: 2.25  200: 1.75  300: 0.25  400: -3.25  500: -1.65
//   user 20:  100: -2.5  200: -1.0  300: -0.5  400: -2.0   500: 1.6
//   user 30:  100: 1.25  200: 1.25  300: 0.25  400: -2.75  500: -0.65   (100 and 200 tie)
// Without item biases:
//   user 10:  200: 1.25  400: -0.75  500: -1.75;  user 20:  100: -2.5  200: -1.5  400: 0.5
// History (training): user 10 rated 100, 300; user 20 300, 500; user 30 300, 400. Training
// counts: 100: 1, 200: 0, 300: 3, 400: 1, 500: 1, so popularity ranks 300, 100, 400, 500, 200.
// Candidates (not rated in training): user 10 {200, 400, 500}, 20 {100, 200, 400},
// 30 {100, 200, 500}.
SavedModel hand_model() {
  ModelConfig c;
  c.kind = ModelKind::dotbias;
  c.n_users = 3;
  c.n_items = 5;
  c.user_factors = c.item_factors = 1;
  c.y_range = false;
  SavedModel m;
  m.model = Model::create(c, 1);
  auto& p = m.model->parameters();
  p[0].value = {1.0f, -1.0f, 0.5f};               // u_weight
  p[1].value = {2.0f, 1.0f, 0.0f, -1.0f, -2.0f};  // i_weight
  p[2].value = {0.25f, -0.5f, 0.25f};             // u_bias
  p[3].value = {0.0f, 0.5f, 0.0f, -2.5f, 0.1f};   // i_bias
  m.users = IdMap::from_sorted_ints({10, 20, 30});
  m.items = IdMap::from_sorted_ints({100, 200, 300, 400, 500});
  m.history.offsets = {0, 2, 4, 6};
  m.history.items = {0, 2, 2, 4, 2, 3};
  m.history.ratings = {5, 3, 4, 4, 2, 1};
  return m;
}

// Test ratings with their own ids (users 10, 20, 30, 99; items 100, 200, 400, 500, 777):
//   user 10: 400 -> 5, 777 -> 4 (an item the model lacks), 200 -> 2
//   user 20: 100 -> 4.5, 500 -> 5 (rated in training), 200 -> 4
//   user 30: 200 -> 3
//   user 99 (the model lacks them): 100 -> 5
Ratings hand_test(bool string_ids) {
  struct Row {
    uint32_t user, item;
    float rating;
  };
  const std::vector<uint32_t> users{10, 20, 30, 99}, items{100, 200, 400, 500, 777};
  const std::vector<Row> rows{{10, 400, 5}, {10, 777, 4}, {10, 200, 2}, {20, 100, 4.5f},
                              {20, 500, 5}, {20, 200, 4}, {30, 200, 3}, {99, 100, 5}};
  auto index = [](const std::vector<uint32_t>& ids, uint32_t raw) {
    return static_cast<uint32_t>(std::find(ids.begin(), ids.end(), raw) - ids.begin());
  };
  std::vector<uint32_t> uc, ic;
  std::vector<float> rc;
  for (const Row& r : rows) {
    uc.push_back(index(users, r.user));
    ic.push_back(index(items, r.item));
    rc.push_back(r.rating);
  }
  Ratings t;
  t.user = Column<uint32_t>(uc);
  t.item = Column<uint32_t>(ic);
  t.rating = Column<float>(rc);
  if (string_ids) {
    // Sorted as strings, these happen to keep the same order.
    t.users = IdMap::from_sorted_strings({"10", "20", "30", "99"});
    t.items = IdMap::from_sorted_strings({"100", "200", "400", "500", "777"});
  } else {
    t.users = IdMap::from_sorted_ints(users);
    t.items = IdMap::from_sorted_ints(items);
  }
  return t;
}

const double D1 = 1.0 / std::log2(3.0);  // the discount of the second place

void expect_metrics(const RankingMetrics& got, uint64_t users, double precision, double recall, double ndcg,
                    double map, double mrr, double hit_rate, double coverage, const char* what) {
  EXPECT_EQ(got.users, users) << what;
  EXPECT_NEAR(got.precision, precision, 1e-12) << what;
  EXPECT_NEAR(got.recall, recall, 1e-12) << what;
  EXPECT_NEAR(got.ndcg, ndcg, 1e-12) << what;
  EXPECT_NEAR(got.map, map, 1e-12) << what;
  EXPECT_NEAR(got.mrr, mrr, 1e-12) << what;
  EXPECT_NEAR(got.hit_rate, hit_rate, 1e-12) << what;
  EXPECT_NEAR(got.coverage, coverage, 1e-12) << what;
}

TEST(RecommendRankingEval, ByHandAtThreshold4) {
  const SavedModel m = hand_model();
  RankingEvalOptions o;
  o.k = 2;
  for (bool string_ids : {false, true})
    for (unsigned threads : {1u, 2u}) {
      o.threads = threads;
      RankingEvalReport r = evaluate_ranking(m, hand_test(string_ids), o);
      // Relevant (>= 4): user 10 {400, 777}, user 20 {100, 500, 200}; user 30 has none; user 99
      // is unseen. Unreachable: 777 (not in the model) and 500 for user 20 (rated in training).
      EXPECT_EQ(r.test_users, 4u);
      EXPECT_EQ(r.unseen_users, 1u);
      EXPECT_EQ(r.users_without_relevant, 1u);
      EXPECT_EQ(r.relevant, 5u);
      EXPECT_EQ(r.relevant_unreachable, 2u);
      // Model, top 2: user 10 [200, 500]: no hit. User 20 [200, 400]: hit at 0, so precision
      // 1/2, recall 1/3, NDCG 1 / (1 + D1) (ideal: min(2, 3) places), AP (1/2) * 1, RR 1.
      // Coverage: {200, 500, 400} of 5 items.
      expect_metrics(r.model, 2, 0.25, 1.0 / 6, 0.5 / (1 + D1), 0.25, 0.5, 0.5, 0.6, "model");
      // Popularity, top 2: user 10 [400, 500]: hit at 0: precision 1/2, recall 1/2,
      // NDCG 1 / (1 + D1), AP 1/2, RR 1. User 20 [100, 400]: hit at 0: 1/2, 1/3, 1 / (1 + D1),
      // 1/2, 1. Coverage {400, 500, 100}.
      expect_metrics(r.popularity, 2, 0.5, (0.5 + 1.0 / 3) / 2, 1 / (1 + D1), 0.5, 1.0, 1.0, 0.6,
                     "popularity");
      // Random: the same users, sane values.
      EXPECT_EQ(r.random.users, 2u);
      for (double v : {r.random.precision, r.random.recall, r.random.ndcg, r.random.map, r.random.mrr,
                       r.random.hit_rate, r.random.coverage}) {
        EXPECT_GE(v, 0.0);
        EXPECT_LE(v, 1.0);
      }
    }
}

TEST(RecommendRankingEval, WithoutItemBiases) {
  RankingEvalOptions o;
  o.k = 2;
  o.item_bias = false;
  RankingEvalReport r = evaluate_ranking(hand_model(), hand_test(false), o);
  // User 10 [200, 400]: hit at 1: precision 1/2, recall 1/2, NDCG D1 / (1 + D1), AP (1/2)(1/2), RR 1/2.
  // User 20 [400, 200]: hit at 1: precision 1/2, recall 1/3, NDCG D1 / (1 + D1), AP 1/4, RR 1/2.
  // Coverage {200, 400}.
  expect_metrics(r.model, 2, 0.5, (0.5 + 1.0 / 3) / 2, D1 / (1 + D1), 0.25, 0.5, 1.0, 0.4, "model");
  // Popularity does not depend on the option.
  expect_metrics(r.popularity, 2, 0.5, (0.5 + 1.0 / 3) / 2, 1 / (1 + D1), 0.5, 1.0, 1.0, 0.6, "popularity");
}

TEST(RecommendRankingEval, EveryHeldOutItemRelevant) {
  RankingEvalOptions o;
  o.k = 2;
  o.any_relevant = true;
  RankingEvalReport r = evaluate_ranking(hand_model(), hand_test(false), o);
  // Relevant: user 10 {200, 400, 777}, user 20 {100, 200, 500}, user 30 {200}.
  EXPECT_EQ(r.users_without_relevant, 0u);
  EXPECT_EQ(r.relevant, 7u);
  EXPECT_EQ(r.relevant_unreachable, 2u);
  // Model: user 10 [200, 500]: hit at 0: 1/2, 1/3, 1 / (1 + D1), AP 1/2, RR 1.
  // User 20 [200, 400]: the same figures. User 30 [100, 200] (a tie at 1.25, the smaller row
  // first): hit at 1: precision 1/2, recall 1, NDCG D1 / 1 (ideal: one place), AP (1/1)(1/2), RR 1/2.
  // Coverage {200, 500, 400, 100}.
  expect_metrics(r.model, 3, 0.5, (1.0 / 3 + 1.0 / 3 + 1.0) / 3, (2 / (1 + D1) + D1) / 3, 0.5, 2.5 / 3, 1.0,
                 0.8, "model");
}

TEST(RecommendRankingEval, ThresholdIsInclusive) {
  RankingEvalOptions o;
  o.k = 2;
  o.threshold = 4.5f;
  RankingEvalReport r = evaluate_ranking(hand_model(), hand_test(false), o);
  // Relevant (>= 4.5): user 10 {400}, user 20 {100, 500}.
  EXPECT_EQ(r.relevant, 3u);
  EXPECT_EQ(r.relevant_unreachable, 1u);
  EXPECT_EQ(r.users_without_relevant, 1u);
}

TEST(RecommendRankingEval, LargeKRanksEveryCandidate) {
  RankingEvalOptions o;
  o.k = 10;
  RankingEvalReport r = evaluate_ranking(hand_model(), hand_test(false), o);
  // Every candidate is listed, so every reachable relevant item is found: user 10 finds 400
  // (1 of 2; 777 unreachable), user 20 finds 100 and 200 (2 of 3; 500 unreachable).
  EXPECT_NEAR(r.model.recall, (0.5 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.popularity.recall, (0.5 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.random.recall, (0.5 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.model.precision, (1.0 / 10 + 2.0 / 10) / 2, 1e-12);
  EXPECT_EQ(r.model.hit_rate, 1.0);
  // Candidates of users 10 and 20: {200, 400, 500} and {100, 200, 400}: 4 of 5 items.
  EXPECT_NEAR(r.model.coverage, 0.8, 1e-12);
  EXPECT_NEAR(r.random.coverage, 0.8, 1e-12);
}

TEST(RecommendRankingEval, RandomBaselineIsSeededAndThreadIndependent) {
  RankingEvalOptions o;
  o.k = 1;
  o.any_relevant = true;
  const SavedModel m = hand_model();
  const Ratings t = hand_test(false);
  o.threads = 1;
  RankingEvalReport a = evaluate_ranking(m, t, o);
  o.threads = 2;
  RankingEvalReport b = evaluate_ranking(m, t, o);
  EXPECT_EQ(a.random.precision, b.random.precision);
  EXPECT_EQ(a.random.coverage, b.random.coverage);
  EXPECT_EQ(a.random.mrr, b.random.mrr);
}

TEST(RecommendRankingEval, Errors) {
  const Ratings t = hand_test(false);
  RankingEvalOptions o;
  o.k = 0;
  try {
    evaluate_ranking(hand_model(), t, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ranking: k must be at least 1");
  }
  SavedModel m = hand_model();
  m.history = UserItems{};
  o.k = 10;
  try {
    evaluate_ranking(m, t, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "ranking: the model file has no training history, so its users' candidates are unknown "
                 "(it was trained with --no-history); retrain without it");
  }
}

TEST(RecommendRankingEval, NoKnownTestUsers) {
  // Only user 99, whom the model lacks: nothing to rank, all means 0.
  Ratings t;
  t.user = Column<uint32_t>(std::vector<uint32_t>{0});
  t.item = Column<uint32_t>(std::vector<uint32_t>{0});
  t.rating = Column<float>(std::vector<float>{5});
  t.users = IdMap::from_sorted_ints({99});
  t.items = IdMap::from_sorted_ints({100});
  RankingEvalReport r = evaluate_ranking(hand_model(), t, RankingEvalOptions{});
  EXPECT_EQ(r.test_users, 1u);
  EXPECT_EQ(r.unseen_users, 1u);
  EXPECT_EQ(r.model.users, 0u);
  EXPECT_EQ(r.model.precision, 0.0);
  EXPECT_EQ(r.model.coverage, 0.0);
}

}  // namespace
}  // namespace cofi
