#include "cofi/recommend/ranking_eval.h"

#include <algorithm>
#include <vector>

#include "cofi/error.h"
#include "cofi/random.h"
#include "cofi/recommend/rank.h"

namespace cofi {

namespace {

// The items of `lists` that appear anywhere, as a share of n_items.
double coverage(const std::vector<std::vector<std::pair<float, uint32_t>>>& lists, uint32_t n_items) {
  std::vector<uint8_t> seen(n_items, 0);
  size_t distinct = 0;
  for (const auto& l : lists)
    for (const auto& [score, item] : l)
      if (!seen[item]) {
        seen[item] = 1;
        ++distinct;
      }
  return n_items ? static_cast<double>(distinct) / n_items : 0.0;
}

RankingMetrics score_lists(const std::vector<std::vector<std::pair<float, uint32_t>>>& lists,
                           const std::vector<std::vector<uint32_t>>& relevant, size_t k, uint32_t n_items) {
  RankingMetrics m;
  std::vector<uint32_t> ranked;
  for (size_t q = 0; q < lists.size(); ++q) {
    ranked.clear();
    for (const auto& [score, item] : lists[q]) ranked.push_back(item);
    m.add(score_ranking(ranked, relevant[q], k));
  }
  m.finish();
  m.coverage = coverage(lists, n_items);
  return m;
}

}  // namespace

RankingEvalReport evaluate_ranking(const SavedModel& saved, const Ratings& test,
                                   const RankingEvalOptions& o) {
  if (o.k == 0) throw Error("ranking: k must be at least 1");
  if (saved.history.empty())
    throw Error(
        "ranking: the model file has no training history, so its users' candidates are unknown "
        "(it was trained with --no-history); retrain without it");
  const Model& model = *saved.model;
  const uint32_t n_items = model.config().n_items;

  // Test users in the model and their relevant items (model rows; an item the model lacks gets
  // a row past the end, which no list holds).
  RankingEvalReport rep;
  std::vector<int64_t> user_row(test.n_users(), -1);
  for (uint32_t u = 0; u < test.n_users(); ++u)
    if (auto row = saved.users.find(test.users.raw(u))) user_row[u] = *row;
  std::vector<int64_t> item_row(test.n_items(), -1);
  for (uint32_t i = 0; i < test.n_items(); ++i)
    if (auto row = saved.items.find(test.items.raw(i))) item_row[i] = *row;
  std::vector<std::vector<uint32_t>> relevant_of(test.n_users());
  std::vector<uint8_t> has_test(test.n_users(), 0);
  uint32_t unseen_item_row = n_items;
  for (size_t r = 0; r < test.size(); ++r) {
    has_test[test.user[r]] = 1;
    if (!o.any_relevant && !(test.rating[r] >= o.threshold)) continue;
    int64_t item = item_row[test.item[r]];
    relevant_of[test.user[r]].push_back(item >= 0 ? static_cast<uint32_t>(item) : unseen_item_row++);
  }
  std::vector<uint32_t> users;                  // model rows evaluated
  std::vector<std::vector<uint32_t>> relevant;  // per evaluated user, ascending
  for (uint32_t u = 0; u < test.n_users(); ++u) {
    if (!has_test[u]) continue;
    ++rep.test_users;
    if (user_row[u] < 0) {
      ++rep.unseen_users;
      continue;
    }
    auto& rel = relevant_of[u];
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    if (rel.empty()) {
      ++rep.users_without_relevant;
      continue;
    }
    const auto row = static_cast<uint32_t>(user_row[u]);
    for (uint32_t item : rel)
      if (item >= n_items || saved.history.contains(row, item)) ++rep.relevant_unreachable;
    rep.relevant += rel.size();
    users.push_back(row);
    relevant.push_back(std::move(rel));
  }

  RankRequest req;
  req.queries = users.size();
  req.items = n_items;
  req.k = o.k;
  req.threads = o.threads;
  req.excluded = [&](size_t q) { return saved.history.items_of(users[q]); };

  // The model.
  const size_t d = model.side_size(Side::user);
  std::vector<float> vectors(users.size() * d);
  for (size_t q = 0; q < users.size(); ++q) model.side_vector(Side::user, users[q], vectors.data() + q * d);
  const std::unique_ptr<Model::ItemScorer> scorer = model.item_scorer();
  req.score = [&](size_t first, size_t count, uint32_t begin, uint32_t end, float* out) {
    scorer->score(vectors.data() + first * d, count, begin, end, out, o.item_bias);
  };
  rep.model = score_lists(rank_top_k(req), relevant, o.k, n_items);

  // Popularity: the training rating count, the same list for everyone (less what they rated).
  std::vector<uint32_t> counts = saved.history.item_counts(n_items);
  req.score = [&](size_t, size_t count, uint32_t begin, uint32_t end, float* out) {
    const size_t w = end - begin;
    for (size_t q = 0; q < count; ++q)
      for (size_t j = 0; j < w; ++j) out[q * w + j] = static_cast<float>(counts[begin + j]);
  };
  rep.popularity = score_lists(rank_top_k(req), relevant, o.k, n_items);

  // Random: a uniform score per (user, item) from the seed, independent of the thread count.
  req.score = [&](size_t first, size_t count, uint32_t begin, uint32_t end, float* out) {
    const size_t w = end - begin;
    for (size_t q = 0; q < count; ++q) {
      const uint64_t key = mix64(o.seed ^ mix64(users[first + q] + 0x632be59bd9b4e019ULL));
      for (size_t j = 0; j < w; ++j)
        out[q * w + j] = static_cast<float>(mix64(key + (begin + j + 1) * 0x9e3779b97f4a7c15ULL) >> 40);
    }
  };
  rep.random = score_lists(rank_top_k(req), relevant, o.k, n_items);
  return rep;
}

}  // namespace cofi
