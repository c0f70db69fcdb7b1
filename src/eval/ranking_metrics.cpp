#include "cofi/eval/ranking_metrics.h"

#include <algorithm>
#include <cmath>

#include "cofi/error.h"

namespace cofi {

UserRanking score_ranking(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  COFI_ASSERT(!relevant.empty() && k > 0);
  UserRanking u;
  const size_t depth = std::min(k, ranked.size());
  size_t hits = 0;
  double dcg = 0, ap = 0;
  for (size_t i = 0; i < depth; ++i) {
    if (!std::binary_search(relevant.begin(), relevant.end(), ranked[i])) continue;
    ++hits;
    dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
    ap += static_cast<double>(hits) / static_cast<double>(i + 1);
    if (hits == 1) u.rr = 1.0 / static_cast<double>(i + 1);
  }
  const size_t ideal = std::min(k, relevant.size());
  double idcg = 0;
  for (size_t i = 0; i < ideal; ++i) idcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  u.precision = static_cast<double>(hits) / static_cast<double>(k);
  u.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  u.ndcg = dcg / idcg;
  u.ap = ap / static_cast<double>(ideal);
  u.hit = hits > 0;
  return u;
}

void RankingMetrics::add(const UserRanking& u) {
  ++users;
  precision += u.precision;
  recall += u.recall;
  ndcg += u.ndcg;
  map += u.ap;
  mrr += u.rr;
  hit_rate += u.hit ? 1.0 : 0.0;
}

void RankingMetrics::finish() {
  if (users == 0) return;
  const auto n = static_cast<double>(users);
  precision /= n;
  recall /= n;
  ndcg /= n;
  map /= n;
  mrr /= n;
  hit_rate /= n;
}

}  // namespace cofi
