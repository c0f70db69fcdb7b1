// Ranking metrics at a cut-off k for one user's ranked list against their relevant items, and
// their means over users. With hits the relevant items in the first k of the list:
//   precision@k = hits / k                  recall@k = hits / |relevant|
//   NDCG@k      = DCG / ideal DCG, DCG = sum over hits at 0-based position i of 1 / log2(i + 2),
//                 ideal: the first min(k, |relevant|) positions all hits
//   AP@k        = (1 / min(k, |relevant|)) * sum over hits at position i of precision@(i + 1)
//   RR@k        = 1 / (position of the first hit + 1), 0 without a hit
//   hit@k       = 1 if any hit
// Users without relevant items have no defined recall or NDCG and are left out by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cofi {

struct UserRanking {
  double precision = 0, recall = 0, ndcg = 0, ap = 0, rr = 0;
  bool hit = false;
};

// `ranked` may be shorter than k (fewer candidates) and holds no repeats; `relevant` is
// ascending and non-empty.
UserRanking score_ranking(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k);

// Means over users.
struct RankingMetrics {
  uint64_t users = 0;
  double precision = 0, recall = 0, ndcg = 0, map = 0, mrr = 0, hit_rate = 0;
  double coverage = 0;  // distinct items recommended / items in the catalogue (set by the caller)

  void add(const UserRanking& u);
  void finish();  // sums -> means
};

}  // namespace cofi
