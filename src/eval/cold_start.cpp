#include "cofi/eval/cold_start.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "error_sums.h"

namespace cofi {

namespace {

// Koren's regularisation of the baseline predictor's biases (Factor in the Neighbors, 2010).
constexpr double kItemLambda = 25.0, kUserLambda = 10.0;
constexpr int kBiasRounds = 3;

using eval_detail::kChunk;
using eval_detail::kUnseen;
using eval_detail::map_ids;
using eval_detail::Sums;

// Mean training rating per feature group of one side: by exact feature set, and by single feature.
class GroupMeans {
 public:
  // sum[r] and count[r]: the training ratings of row r (count 0: a cold row, left out).
  GroupMeans(const Features& f, const std::vector<double>& sum, const std::vector<uint64_t>& count)
      : f_(f), feature_sum_(f.names.size(), 0.0), feature_count_(f.names.size(), 0) {
    for (size_t r = 0; r < count.size() && r < f.rows(); ++r) {
      if (count[r] == 0) continue;
      auto& g = groups_[key(r)];
      g.first += sum[r];
      g.second += count[r];
      for (uint32_t x : f.index_of(r)) {
        feature_sum_[x] += sum[r];
        feature_count_[x] += count[r];
      }
    }
  }

  // The group mean of row r (kUnseen: an id outside the model, which has no features).
  double mean(uint32_t r, double mu) const {
    if (r == kUnseen || r >= f_.rows() || f_.index_of(r).empty()) return mu;
    auto it = groups_.find(key(r));
    if (it != groups_.end()) return it->second.first / static_cast<double>(it->second.second);
    double s = 0;
    size_t n = 0;
    for (uint32_t x : f_.index_of(r))
      if (feature_count_[x] > 0) {
        s += feature_sum_[x] / static_cast<double>(feature_count_[x]);
        ++n;
      }
    return n > 0 ? s / static_cast<double>(n) : mu;
  }

 private:
  std::vector<uint32_t> key(size_t r) const { return {f_.index_of(r).begin(), f_.index_of(r).end()}; }

  const Features& f_;
  std::map<std::vector<uint32_t>, std::pair<double, uint64_t>> groups_;
  std::vector<double> feature_sum_;
  std::vector<uint64_t> feature_count_;
};

}  // namespace

std::vector<float> predict_test(const SavedModel& saved, const Ratings& test, unsigned threads) {
  if (!saved.model) throw Error("evaluate: no model");
  const Model& model = *saved.model;
  const uint32_t n_users = model.config().n_users, n_items = model.config().n_items;
  const std::vector<uint32_t> user_row = map_ids(test.users, saved.users);
  const std::vector<uint32_t> item_row = map_ids(test.items, saved.items);
  bool any_fallback = false;
  for (size_t r = 0; r < test.size(); ++r)
    any_fallback |= user_row[test.user[r]] == kUnseen || item_row[test.item[r]] == kUnseen;
  std::unique_ptr<Model> extended = any_fallback ? with_average_rows(model) : nullptr;
  const auto mean_rating = static_cast<float>(saved.record.rating_mean);
  std::vector<float> out(test.size());
  const size_t n = test.size(), chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, threads, [&](size_t c) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    std::vector<uint32_t> us, is;
    std::vector<size_t> at;
    for (const bool fallback : {false, true}) {
      us.clear();
      is.clear();
      at.clear();
      for (size_t r = lo; r < hi; ++r) {
        const uint32_t u = user_row[test.user[r]], i = item_row[test.item[r]];
        if (u == kUnseen && i == kUnseen) {
          out[r] = mean_rating;
          continue;
        }
        if ((u == kUnseen || i == kUnseen) != fallback) continue;
        us.push_back(u == kUnseen ? n_users : u);
        is.push_back(i == kUnseen ? n_items : i);
        at.push_back(r);
      }
      if (us.empty()) continue;
      std::vector<float> pred(us.size());
      (fallback ? *extended : model).predict(us.data(), is.data(), us.size(), pred.data());
      for (size_t k = 0; k < at.size(); ++k) out[at[k]] = pred[k];
    }
  });
  return out;
}

ColdStartReport evaluate_cold_start(const SavedModel& saved, const Ratings& test, unsigned threads) {
  if (!saved.model) throw Error("evaluate: no model");
  if (saved.history.empty())
    throw Error(
        "cold-start evaluation needs the model's training ratings (it was trained with --no-history)");
  const Model& model = *saved.model;
  const uint32_t n_users = model.config().n_users, n_items = model.config().n_items;
  const UserItems& h = saved.history;

  // The baselines' statistics of the training ratings.
  double mu = 0;
  for (float r : h.ratings) mu += r;
  mu = h.size() > 0 ? mu / static_cast<double>(h.size()) : saved.record.rating_mean;
  std::vector<uint64_t> user_count(n_users, 0), item_count(n_items, 0);
  std::vector<double> user_sum(n_users, 0.0), item_sum(n_items, 0.0);
  for (uint32_t u = 0; u < n_users; ++u) {
    auto items = h.items_of(u);
    auto ratings = h.ratings_of(u);
    for (size_t j = 0; j < items.size(); ++j) {
      ++user_count[u];
      ++item_count[items[j]];
      user_sum[u] += ratings[j];
      item_sum[items[j]] += ratings[j];
    }
  }
  std::vector<double> bu(n_users, 0.0), bi(n_items, 0.0);
  for (int round = 0; round < kBiasRounds; ++round) {
    std::vector<double> s(n_items, 0.0);
    for (uint32_t u = 0; u < n_users; ++u) {
      auto items = h.items_of(u);
      auto ratings = h.ratings_of(u);
      for (size_t j = 0; j < items.size(); ++j) s[items[j]] += ratings[j] - mu - bu[u];
    }
    for (uint32_t i = 0; i < n_items; ++i) bi[i] = s[i] / (kItemLambda + static_cast<double>(item_count[i]));
    for (uint32_t u = 0; u < n_users; ++u) {
      auto items = h.items_of(u);
      auto ratings = h.ratings_of(u);
      double t = 0;
      for (size_t j = 0; j < items.size(); ++j) t += ratings[j] - mu - bi[items[j]];
      bu[u] = t / (kUserLambda + static_cast<double>(items.size()));
    }
  }
  const Features& uf = model.features(Side::user);
  const Features& itf = model.features(Side::item);
  ColdStartReport report;
  report.user_groups = uf.rows() > 0;
  report.item_groups = itf.rows() > 0;
  const GroupMeans user_groups(uf, user_sum, user_count), item_groups(itf, item_sum, item_count);

  const std::vector<float> pred = predict_test(saved, test, threads);
  const std::vector<uint32_t> user_row = map_ids(test.users, saved.users);
  const std::vector<uint32_t> item_row = map_ids(test.items, saved.items);
  std::vector<uint8_t> user_cold_seen(test.users.size(), 0), item_cold_seen(test.items.size(), 0);
  Sums sums[4][4];  // [warm, cold users, cold items, both][model, global, bias, group]
  for (size_t r = 0; r < test.size(); ++r) {
    const uint32_t u = user_row[test.user[r]], i = item_row[test.item[r]];
    const bool cold_user = u == kUnseen || user_count[u] == 0;
    const bool cold_item = i == kUnseen || item_count[i] == 0;
    if (cold_user && !user_cold_seen[test.user[r]]) {
      user_cold_seen[test.user[r]] = 1;
      ++report.cold_user_count;
    }
    if (cold_item && !item_cold_seen[test.item[r]]) {
      item_cold_seen[test.item[r]] = 1;
      ++report.cold_item_count;
    }
    const double b_u = cold_user ? 0.0 : bu[u], b_i = cold_item ? 0.0 : bi[i];
    const double bias_only = mu + b_u + b_i;
    double group = bias_only;
    if (cold_user && cold_item)
      group = 0.5 * (user_groups.mean(u, mu) + item_groups.mean(i, mu));
    else if (cold_user)
      group = user_groups.mean(u, mu);
    else if (cold_item)
      group = item_groups.mean(i, mu);
    const int row = cold_user ? (cold_item ? 3 : 1) : (cold_item ? 2 : 0);
    const double y = test.rating[r];
    sums[row][0].add(static_cast<double>(pred[r]) - y);
    sums[row][1].add(mu - y);
    sums[row][2].add(bias_only - y);
    sums[row][3].add(group - y);
  }
  ColdStartRow* rows[4] = {&report.warm, &report.cold_users, &report.cold_items, &report.both_cold};
  for (int k = 0; k < 4; ++k) {
    rows[k]->model = sums[k][0].stats();
    rows[k]->global_mean = sums[k][1].stats();
    rows[k]->bias_only = sums[k][2].stats();
    rows[k]->feature_group = sums[k][3].stats();
  }
  return report;
}

}  // namespace cofi
