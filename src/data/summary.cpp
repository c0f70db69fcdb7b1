#include "cofi/data/summary.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <unordered_set>

#include "cofi/parallel.h"

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

// Per-user and per-item counts, rating sums and ranges: everything summarize needs from a pass
// over the records.
struct Tally {
  std::vector<uint32_t> per_user, per_item;
  std::vector<double> item_sum;  // sum of each item's ratings
  double sum = 0;
  float lo = 0, hi = 0;
  std::vector<std::pair<float, uint64_t>> histogram;
  int64_t first_timestamp = 0, last_timestamp = 0;
};

// One sequential pass; any rating values.
Tally tally_sequential(const Ratings& r) {
  Tally t;
  t.per_user.assign(r.n_users(), 0);
  t.per_item.assign(r.n_items(), 0);
  t.item_sum.assign(r.n_items(), 0);
  t.lo = t.hi = r.size() ? r.rating[0] : 0;
  for (size_t i = 0; i < r.size(); ++i) {
    ++t.per_user[r.user[i]];
    ++t.per_item[r.item[i]];
    t.item_sum[r.item[i]] += r.rating[i];
    t.sum += r.rating[i];
    t.lo = std::min(t.lo, r.rating[i]);
    t.hi = std::max(t.hi, r.rating[i]);
  }
  t.histogram = histogram_of(r.rating);
  if (r.has_timestamps() && r.size()) {
    auto [a, b] = std::minmax_element(r.timestamp.begin(), r.timestamp.end());
    t.first_timestamp = *a;
    t.last_timestamp = *b;
  }
  return t;
}

// The same in parallel, for ratings on the half-star scale 0, 0.5, ..., 20 (every MovieLens set):
// sums are kept as exact integer counts of half stars, so that the slices add up in any order to
// exactly what the sequential pass computes (its double sums of half-integers are exact too).
// nullopt when a rating is off that scale.
std::optional<Tally> tally_half_stars(const Ratings& r) {
  const size_t n = r.size(), users = r.n_users(), items = r.n_items();
  // Each slice has its own count arrays: split only while a slice's records outnumber them.
  size_t slices = std::max<size_t>(1, std::min<size_t>(resolve_threads(0), n / (4 * (users + items) + 1)));
  struct Slice {
    std::vector<uint32_t> per_user, per_item;
    std::vector<uint64_t> item_halves;    // sum of each item's ratings, in half stars
    std::array<uint64_t, 41> histogram{};  // records per rating 0, 0.5, ..., 20
    uint64_t halves = 0;
    int64_t first_timestamp = std::numeric_limits<int64_t>::max();
    int64_t last_timestamp = std::numeric_limits<int64_t>::min();
  };
  std::vector<Slice> part(slices);
  std::atomic<bool> off_scale{false};
  parallel_for(slices, 0, [&](size_t k) {
    Slice& p = part[k];
    p.per_user.assign(users, 0);
    p.per_item.assign(items, 0);
    p.item_halves.assign(items, 0);
    const size_t begin = n * k / slices, end = n * (k + 1) / slices;
    const uint32_t* user = r.user.data();
    const uint32_t* item = r.item.data();
    const float* rating = r.rating.data();
    for (size_t i = begin; i < end; ++i) {
      const float twice = rating[i] * 2.0f;
      // In range first, so that the conversion is defined; then a whole number of half stars.
      // -0 goes the sequential way too, which reports it as the minimum as it is.
      if (!(twice >= 0.0f && twice <= 40.0f) || static_cast<float>(static_cast<uint32_t>(twice)) != twice ||
          std::signbit(twice)) {
        off_scale.store(true, std::memory_order_relaxed);
        return;
      }
      const auto h = static_cast<uint32_t>(twice);
      ++p.per_user[user[i]];
      ++p.per_item[item[i]];
      p.item_halves[item[i]] += h;
      p.halves += h;
      ++p.histogram[h];
    }
    if (r.has_timestamps()) {
      for (size_t i = begin; i < end; ++i) {
        p.first_timestamp = std::min(p.first_timestamp, r.timestamp[i]);
        p.last_timestamp = std::max(p.last_timestamp, r.timestamp[i]);
      }
    }
  });
  if (off_scale) return std::nullopt;

  Tally t;
  t.per_user = std::move(part[0].per_user);
  t.per_item = std::move(part[0].per_item);
  std::vector<uint64_t> item_halves = std::move(part[0].item_halves);
  std::array<uint64_t, 41> histogram = part[0].histogram;
  uint64_t halves = part[0].halves;
  t.first_timestamp = part[0].first_timestamp;
  t.last_timestamp = part[0].last_timestamp;
  for (size_t k = 1; k < slices; ++k) {
    const Slice& p = part[k];
    for (size_t u = 0; u < users; ++u) t.per_user[u] += p.per_user[u];
    for (size_t i = 0; i < items; ++i) {
      t.per_item[i] += p.per_item[i];
      item_halves[i] += p.item_halves[i];
    }
    for (size_t h = 0; h < histogram.size(); ++h) histogram[h] += p.histogram[h];
    halves += p.halves;
    t.first_timestamp = std::min(t.first_timestamp, p.first_timestamp);
    t.last_timestamp = std::max(t.last_timestamp, p.last_timestamp);
  }
  t.item_sum.resize(items);
  for (size_t i = 0; i < items; ++i) t.item_sum[i] = static_cast<double>(item_halves[i]) / 2.0;
  t.sum = static_cast<double>(halves) / 2.0;
  bool seen = false;
  for (size_t h = 0; h < histogram.size(); ++h) {
    if (!histogram[h]) continue;
    const float v = static_cast<float>(h) / 2.0f;
    t.histogram.emplace_back(v, histogram[h]);
    if (!seen) t.lo = v;
    t.hi = v;
    seen = true;
  }
  if (!r.has_timestamps() || n == 0) t.first_timestamp = t.last_timestamp = 0;
  return t;
}

}  // namespace

DataSummary summarize(const Dataset& d, size_t top_n) {
  const Ratings& r = d.ratings;
  DataSummary s;
  s.ratings = r.size();
  s.users = r.n_users();
  s.items = r.n_items();
  s.density = s.users && s.items ? static_cast<double>(s.ratings) / (static_cast<double>(s.users) * static_cast<double>(s.items)) : 0;

  auto tally = tally_half_stars(r);
  if (!tally) tally = tally_sequential(r);
  std::vector<uint32_t>& per_user = tally->per_user;
  std::vector<uint32_t>& per_item = tally->per_item;
  const std::vector<double>& item_sum = tally->item_sum;
  s.mean_rating = r.size() ? tally->sum / static_cast<double>(r.size()) : 0;
  s.min_rating = tally->lo;
  s.max_rating = tally->hi;
  s.histogram = std::move(tally->histogram);
  if (r.has_timestamps()) {
    s.has_timestamps = true;
    s.first_timestamp = tally->first_timestamp;
    s.last_timestamp = tally->last_timestamp;
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
