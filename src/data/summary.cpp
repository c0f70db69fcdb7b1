#include "cofi/data/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

namespace cofi {

namespace {

CountStats stats_of(std::vector<uint32_t> counts) {
  CountStats s;
  if (counts.empty()) return s;
  uint64_t total = 0;
  for (uint32_t c : counts) total += c;
  auto mid = counts.begin() + static_cast<std::ptrdiff_t>(counts.size() / 2);
  std::nth_element(counts.begin(), mid, counts.end());
  s.median = *mid;
  auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
  s.min = *lo;
  s.max = *hi;
  s.mean = static_cast<double>(total) / static_cast<double>(counts.size());
  return s;
}

// Rating values and their counts. Half-star scales (all MovieLens sets) go through an array;
// anything else through an ordered map.
std::vector<std::pair<float, uint64_t>> histogram_of(const Column<float>& rating) {
  std::vector<uint64_t> halves(41, 0);  // 0, 0.5, ..., 20
  std::map<float, uint64_t> other;
  for (float r : rating) {
    float twice = r * 2.0f;
    if (twice >= 0.0f && twice <= 40.0f && twice == std::floor(twice))
      ++halves[static_cast<size_t>(twice)];
    else
      ++other[r];
  }
  for (size_t k = 0; k < halves.size(); ++k)
    if (halves[k]) other[static_cast<float>(k) / 2.0f] += halves[k];
  return {other.begin(), other.end()};
}

}  // namespace

DataSummary summarize(const Dataset& d, size_t top_n) {
  const Ratings& r = d.ratings;
  DataSummary s;
  s.ratings = r.size();
  s.users = r.n_users();
  s.items = r.n_items();
  s.density = s.users && s.items ? static_cast<double>(s.ratings) / (static_cast<double>(s.users) * static_cast<double>(s.items)) : 0;

  std::vector<uint32_t> per_user(s.users, 0), per_item(s.items, 0);
  std::vector<double> item_sum(s.items, 0);
  double sum = 0;
  float lo = r.size() ? r.rating[0] : 0, hi = lo;
  for (size_t i = 0; i < r.size(); ++i) {
    ++per_user[r.user[i]];
    ++per_item[r.item[i]];
    item_sum[r.item[i]] += r.rating[i];
    sum += r.rating[i];
    lo = std::min(lo, r.rating[i]);
    hi = std::max(hi, r.rating[i]);
  }
  s.mean_rating = r.size() ? sum / static_cast<double>(r.size()) : 0;
  s.min_rating = lo;
  s.max_rating = hi;
  s.histogram = histogram_of(r.rating);
  if (r.has_timestamps()) {
    s.has_timestamps = true;
    auto [a, b] = std::minmax_element(r.timestamp.begin(), r.timestamp.end());
    s.first_timestamp = *a;
    s.last_timestamp = *b;
  }

  // Most rated: ties broken by dense index (raw id order) so the report is stable.
  std::vector<uint32_t> order(s.items);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  size_t k = std::min(top_n, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](uint32_t a, uint32_t b) { return per_item[a] != per_item[b] ? per_item[a] > per_item[b] : a < b; });
  for (size_t j = 0; j < k; ++j) {
    uint32_t it = order[j];
    DataSummary::TopItem t;
    t.id = r.items.raw(it);
    t.count = per_item[it];
    t.mean_rating = per_item[it] ? item_sum[it] / per_item[it] : 0;
    if (d.items) {
      if (auto row = d.items->ids.find(std::string_view(t.id))) t.title = d.items->titles[*row];
    }
    s.most_rated.push_back(std::move(t));
  }
  s.per_user = stats_of(std::move(per_user));
  s.per_item = stats_of(std::move(per_item));

  if (d.items) {
    s.catalog_items = d.items->size();
    s.genres = d.items->genre_names.size();
    s.links = !d.items->imdb_ids.empty();
  }
  if (d.tags) {
    s.tags = d.tags->size();
    std::unordered_set<std::string> distinct(d.tags->tag.begin(), d.tags->tag.end());
    s.distinct_tags = distinct.size();
  }
  if (d.users) {
    s.user_attributes = d.users->attribute_names;
    s.users_with_attributes = d.users->size();
  }
  for (const auto& sp : d.splits) s.predefined_splits.push_back(sp.name);
  return s;
}

}  // namespace cofi
