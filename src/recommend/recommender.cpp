#include "cofi/recommend/recommender.h"

#include <algorithm>
#include <numeric>

#include "cofi/error.h"
#include "cofi/recommend/rank.h"

namespace cofi {

namespace {

void check_options(const RecommendOptions& o, uint32_t n_items) {
  if (!o.allowed.empty() && o.allowed.size() != n_items)
    throw Error("recommend: the item filter has " + std::to_string(o.allowed.size()) + " entries for " +
                std::to_string(n_items) + " items");
}

}  // namespace

Recommender::Recommender(const SavedModel& model) : m_(model) {
  COFI_ASSERT(m_.model);
  scorer_ = m_.model->item_scorer();
  l2_ = calibrate_fold_in_l2(*m_.model, m_.history);
}

std::vector<Recommendation> Recommender::finish(const float* user_vector,
                                                std::vector<std::pair<float, uint32_t>> ranked) const {
  std::vector<Recommendation> out(ranked.size());
  std::vector<uint32_t> items(ranked.size());
  std::vector<float> pred(ranked.size());
  for (size_t i = 0; i < ranked.size(); ++i) items[i] = ranked[i].second;
  m_.model->predict_row(Side::user, user_vector, items.data(), items.size(), pred.data(), nullptr);
  for (size_t i = 0; i < ranked.size(); ++i) out[i] = {ranked[i].second, ranked[i].first, pred[i]};
  return out;
}

std::vector<std::vector<Recommendation>> Recommender::for_users(std::span<const uint32_t> users,
                                                                const RecommendOptions& options) const {
  return rank_users(users, options, options.threads);
}

std::vector<std::vector<Recommendation>> Recommender::rank_users(std::span<const uint32_t> users,
                                                                 const RecommendOptions& options,
                                                                 unsigned threads) const {
  const Model& model = *m_.model;
  const ModelConfig& c = model.config();
  check_options(options, c.n_items);
  for (uint32_t u : users)
    if (u >= c.n_users)
      throw Error("recommend: user row " + std::to_string(u) + " is outside the model's " +
                  std::to_string(c.n_users));
  const size_t d = model.side_size(Side::user);
  // Every user's vector, gathered once (n x d floats; the user table is about as large).
  std::vector<float> vectors(users.size() * d);
  for (size_t q = 0; q < users.size(); ++q) model.side_vector(Side::user, users[q], vectors.data() + q * d);

  RankRequest req;
  req.queries = users.size();
  req.items = c.n_items;
  req.k = options.n;
  req.allowed = &options.allowed;
  req.threads = threads;
  req.score = [&](size_t first, size_t count, uint32_t begin, uint32_t end, float* out) {
    scorer_->score(vectors.data() + first * d, count, begin, end, out, options.item_bias);
  };
  const bool exclude = options.exclude_rated && !m_.history.empty();
  if (exclude) req.excluded = [&](size_t q) { return m_.history.items_of(users[q]); };
  auto ranked = rank_top_k(req);
  std::vector<std::vector<Recommendation>> out(users.size());
  for (size_t q = 0; q < users.size(); ++q) out[q] = finish(vectors.data() + q * d, std::move(ranked[q]));
  return out;
}

std::vector<Recommendation> Recommender::for_user(uint32_t user, const RecommendOptions& options) const {
  // One thread, without copying the options (and their item filter) to say so.
  return std::move(rank_users(std::span<const uint32_t>(&user, 1), options, 1).front());
}

Newcomer Recommender::fold_in(std::span<const uint32_t> items, std::span<const float> ratings,
                              std::span<const uint32_t> features, std::span<const float> weights) const {
  COFI_ASSERT(items.size() == ratings.size() && features.size() == weights.size());
  const uint32_t n_items = m_.model->config().n_items;
  // Sort by item (stable: the last of a repeated item wins, as everywhere else in cofi).
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a] < items[b]; });
  Newcomer who;
  for (size_t k = 0; k < order.size(); ++k) {
    uint32_t item = items[order[k]];
    if (item >= n_items)
      throw Error("recommend: item row " + std::to_string(item) + " is outside the model's " +
                  std::to_string(n_items));
    if (k + 1 < order.size() && items[order[k + 1]] == item) continue;
    who.items.push_back(item);
    who.ratings.push_back(ratings[order[k]]);
  }
  FoldInOptions fo;
  fo.l2 = l2_;
  const Model& model = *m_.model;
  who.prior.assign(model.side_size(Side::user), 0.0f);
  if (!features.empty()) {
    if (model.config().kind != ModelKind::hybrid)
      throw Error(std::string("recommend: user features need a hybrid model; this one is ") +
                  to_string(model.config().kind));
    model.feature_vector(Side::user, features, weights, who.prior.data());
    fo.prior = who.prior;
  }
  who.fit = cofi::fold_in(*m_.model, Side::user, who.items.data(), who.ratings.data(), who.items.size(), fo);
  return who;
}

std::vector<Recommendation> Recommender::for_newcomer(const Newcomer& who,
                                                      const RecommendOptions& options) const {
  const Model& model = *m_.model;
  check_options(options, model.config().n_items);
  RankRequest req;
  req.queries = 1;
  req.items = model.config().n_items;
  req.k = options.n;
  req.allowed = &options.allowed;
  req.threads = 1;
  const float* vec = who.fit.vector.data();
  req.score = [&](size_t, size_t count, uint32_t begin, uint32_t end, float* out) {
    scorer_->score(vec, count, begin, end, out, options.item_bias);
  };
  if (options.exclude_rated) req.excluded = [&](size_t) { return std::span<const uint32_t>(who.items); };
  return finish(vec, std::move(rank_top_k(req).front()));
}

}  // namespace cofi
