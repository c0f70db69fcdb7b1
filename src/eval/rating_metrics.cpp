#include "cofi/eval/rating_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "error_sums.h"

namespace cofi {

namespace {

using eval_detail::kChunk;
using eval_detail::kUnseen;
using eval_detail::map_ids;
using eval_detail::Sums;

struct ChunkSums {
  Sums known, fallback;
  uint64_t both_unseen = 0;
};

}  // namespace

std::unique_ptr<Model> with_average_rows(const Model& model) {
  ModelConfig config = model.config();
  COFI_ASSERT(config.n_users < kUnseen && config.n_items < kUnseen);
  ++config.n_users;
  ++config.n_items;
  std::unique_ptr<Model> out = Model::create(config, 0);
  const auto& from = model.parameters();
  auto& to = out->parameters();
  COFI_ASSERT(from.size() == to.size());
  for (size_t k = 0; k < from.size(); ++k) {
    const Parameter& f = from[k];
    Parameter& t = to[k];
    COFI_ASSERT(f.name == t.name && f.cols == t.cols);
    if (t.rows == f.rows) {
      t.value = f.value;
      continue;
    }
    // A table of users or items: its rows, then their mean (in double: tables can have 10^5+ rows).
    COFI_ASSERT(f.sparse && t.rows == f.rows + 1 && f.rows > 0);
    std::vector<double> mean(f.cols, 0.0);
    for (uint32_t r = 0; r < f.rows; ++r) {
      const float* row = f.row(r);
      for (uint32_t c = 0; c < f.cols; ++c) mean[c] += row[c];
    }
    std::copy(f.value.begin(), f.value.end(), t.value.begin());
    float* last = t.row(f.rows);
    for (uint32_t c = 0; c < f.cols; ++c) last[c] = static_cast<float>(mean[c] / f.rows);
  }
  // hybrid and content: the rows keep their features; the average rows have none.
  for (Side side : {Side::user, Side::item}) {
    Features f = model.features(side);
    if (f.rows() == 0) continue;
    f.offsets.push_back(f.offsets.back());
    out->set_features(side, std::move(f));
  }
  return out;
}

RatingReport evaluate_ratings(const SavedModel& saved, const Ratings& test, unsigned threads) {
  if (!saved.model) throw Error("evaluate: no model");
  const Model& model = *saved.model;
  const uint32_t n_users = model.config().n_users, n_items = model.config().n_items;
  if (saved.users.size() != n_users || saved.items.size() != n_items)
    throw Error("evaluate: the model's id maps (" + std::to_string(saved.users.size()) + " users, " +
                std::to_string(saved.items.size()) + " items) do not match its tables (" +
                std::to_string(n_users) + ", " + std::to_string(n_items) + ")");

  const std::vector<uint32_t> user_row = map_ids(test.users, saved.users);
  const std::vector<uint32_t> item_row = map_ids(test.items, saved.items);

  RatingReport report;
  // Distinct unseen ids among those the test ratings use (the test's id maps may list more).
  std::vector<bool> user_used(user_row.size(), false), item_used(item_row.size(), false);
  bool any_fallback = false;
  const size_t n = test.size();
  for (size_t r = 0; r < n; ++r) {
    uint32_t u = test.user[r], i = test.item[r];
    COFI_ASSERT(u < user_row.size() && i < item_row.size());
    user_used[u] = true;
    item_used[i] = true;
    if (user_row[u] == kUnseen || item_row[i] == kUnseen) any_fallback = true;
  }
  for (size_t u = 0; u < user_row.size(); ++u) report.unseen_users += user_used[u] && user_row[u] == kUnseen;
  for (size_t i = 0; i < item_row.size(); ++i) report.unseen_items += item_used[i] && item_row[i] == kUnseen;

  // The average user and item sit at rows n_users and n_items of the extended copy.
  std::unique_ptr<Model> extended = any_fallback ? with_average_rows(model) : nullptr;
  const double mean_rating = saved.record.rating_mean;

  const size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<ChunkSums> sums(chunks);
  parallel_for(chunks, threads, [&](size_t c) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    // Known pairs and fallback pairs of this chunk, with the test row each came from.
    std::vector<uint32_t> ku, ki, fu, fi;
    std::vector<size_t> krow, frow;
    ChunkSums& s = sums[c];
    for (size_t r = lo; r < hi; ++r) {
      uint32_t u = user_row[test.user[r]], i = item_row[test.item[r]];
      if (u != kUnseen && i != kUnseen) {
        ku.push_back(u);
        ki.push_back(i);
        krow.push_back(r);
      } else if (u == kUnseen && i == kUnseen) {
        s.fallback.add(mean_rating - static_cast<double>(test.rating[r]));
        ++s.both_unseen;
      } else {
        fu.push_back(u == kUnseen ? n_users : u);
        fi.push_back(i == kUnseen ? n_items : i);
        frow.push_back(r);
      }
    }
    std::vector<float> pred(std::max(ku.size(), fu.size()));
    if (!ku.empty()) model.predict(ku.data(), ki.data(), ku.size(), pred.data());
    for (size_t k = 0; k < ku.size(); ++k)
      s.known.add(static_cast<double>(pred[k]) - static_cast<double>(test.rating[krow[k]]));
    if (!fu.empty()) {
      extended->predict(fu.data(), fi.data(), fu.size(), pred.data());
      for (size_t k = 0; k < fu.size(); ++k)
        s.fallback.add(static_cast<double>(pred[k]) - static_cast<double>(test.rating[frow[k]]));
    }
  });

  Sums known, fallback;
  for (const auto& s : sums) {
    known.add(s.known);
    fallback.add(s.fallback);
    report.both_unseen += s.both_unseen;
  }
  Sums all = known;
  all.add(fallback);
  report.all = all.stats();
  report.known = known.stats();
  report.fallback = fallback.stats();
  return report;
}

}  // namespace cofi
