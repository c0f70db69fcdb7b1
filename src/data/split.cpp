#include "cofi/data/split.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <span>

#include "cofi/error.h"
#include "cofi/random.h"

namespace cofi {
namespace {

// Split holds uint32_t row indices, so a split needs the row count to fit; and an empty set
// has nothing to split. Returns the row count.
uint32_t checked_rows(const Ratings& ratings, const char* what) {
  if (ratings.size() == 0) throw Error(std::string(what) + ": the ratings are empty");
  if (ratings.size() > std::numeric_limits<uint32_t>::max())
    throw Error(std::string(what) + ": " + std::to_string(ratings.size()) +
                " ratings do not fit 32-bit row indices");
  return static_cast<uint32_t>(ratings.size());
}

void require_timestamps(const Ratings& ratings, const char* what) {
  if (!ratings.has_timestamps()) throw Error(std::string(what) + ": the ratings have no timestamps");
}

// Rows flagged in `in_valid` go to valid, the others to train; scanning in row order makes both
// ascending without a sort.
Split from_mask(const std::vector<uint8_t>& in_valid) {
  size_t n_valid = 0;
  for (uint8_t v : in_valid) n_valid += v;
  Split s;
  s.valid.reserve(n_valid);
  s.train.reserve(in_valid.size() - n_valid);
  for (size_t r = 0; r < in_valid.size(); ++r)
    (in_valid[r] ? s.valid : s.train).push_back(static_cast<uint32_t>(r));
  return s;
}

// Rows grouped by user (a counting sort, stable, so each user's rows stay ascending):
// user u's rows are rows[start[u], start[u + 1]). Users are counted from the column itself,
// not from the id map, so a Ratings whose map lists unused ids still groups correctly.
struct UserRows {
  std::vector<uint32_t> start;  // size n_users + 1
  std::vector<uint32_t> rows;   // size n

  size_t n_users() const { return start.size() - 1; }
  std::span<uint32_t> of(size_t u) { return {rows.data() + start[u], rows.data() + start[u + 1]}; }
};

UserRows group_by_user(const Ratings& ratings) {
  const size_t n = ratings.size();
  uint32_t max_user = 0;
  for (uint32_t u : ratings.user) max_user = std::max(max_user, u);
  UserRows g;
  g.start.assign(size_t{max_user} + 2, 0);
  for (uint32_t u : ratings.user) ++g.start[size_t{u} + 1];
  std::partial_sum(g.start.begin(), g.start.end(), g.start.begin());
  g.rows.resize(n);
  std::vector<uint32_t> next(g.start.begin(), g.start.end() - 1);
  for (size_t r = 0; r < n; ++r) g.rows[next[ratings.user[r]]++] = static_cast<uint32_t>(r);
  return g;
}

// Per user: `held_out(c)` of the user's c ratings go to valid, chosen uniformly at random from
// the user's own stream (seed, dense user index), so one user's choice does not depend on the
// others and the result would not change if users were processed in parallel.
Split holdout_per_user(const Ratings& ratings, uint64_t seed,
                       const std::function<size_t(size_t)>& held_out) {
  UserRows g = group_by_user(ratings);
  std::vector<uint8_t> in_valid(ratings.size(), 0);
  for (size_t u = 0; u < g.n_users(); ++u) {
    std::span<uint32_t> rows = g.of(u);
    if (rows.size() < 2) continue;  // a single rating stays in train
    size_t h = std::min(held_out(rows.size()), rows.size() - 1);
    SplitMix64 rng = stream(seed, u);
    partial_shuffle(rows, h, rng);
    for (size_t i = 0; i < h; ++i) in_valid[rows[i]] = 1;
  }
  return from_mask(in_valid);
}

// A valid-fraction argument must lie strictly inside (0, 1); written as !(in range) so that NaN
// is rejected too.
void check_fraction(double x, const char* what, const char* name) {
  if (!(x > 0.0 && x < 1.0))
    throw Error(std::string(what) + ": " + name + " must be between 0 and 1 (exclusive), got " +
                show_number(x));
}

// Dense index in `to` of every dense index of `from`, or nullopt where `to` lacks the raw id.
std::vector<std::optional<uint32_t>> translation(const IdMap& from, const IdMap& to) {
  std::vector<std::optional<uint32_t>> t(from.size());
  for (size_t d = 0; d < from.size(); ++d) {
    auto dense = static_cast<uint32_t>(d);
    // Integer to integer looks the number up directly; any other pairing goes through the text
    // of the raw id (IdMap::find parses it for integer maps).
    t[d] = from.kind() == IdMap::Kind::integer && to.kind() == IdMap::Kind::integer
               ? to.find(from.raw_int(dense))
               : to.find(from.raw(dense));
  }
  return t;
}

// One column of dense ids re-indexed through `t`; the first row whose id `full` lacks is an error.
std::vector<uint32_t> reindex(const Column<uint32_t>& column, const IdMap& from, const IdMap& to,
                              const std::string& file, const char* kind) {
  auto t = translation(from, to);
  std::vector<uint32_t> out(column.size());
  for (size_t r = 0; r < column.size(); ++r) {
    uint32_t d = column[r];
    COFI_ASSERT(d < t.size());
    if (!t[d])
      throw Error(Location{file, 0, {}},
                  std::string(kind) + " " + quote_token(from.raw(d)) +
                      " is not in the full data set (record " + std::to_string(r + 1) + ")");
    out[r] = *t[d];
  }
  return out;
}

Ratings remap(const Ratings& full, const Ratings& file, const std::string& name) {
  Ratings out;
  out.user = Column<uint32_t>(reindex(file.user, file.users, full.users, name, "user"));
  out.item = Column<uint32_t>(reindex(file.item, file.items, full.items, name, "item"));
  // Copied, not shared: columns may be edited in place, and the split file's ratings belong
  // to the caller.
  out.rating = Column<float>(file.rating.to_vector());
  if (file.has_timestamps()) out.timestamp = Column<int64_t>(file.timestamp.to_vector());
  out.users = full.users;
  out.items = full.items;
  return out;
}

}  // namespace

Split random_split(const Ratings& ratings, double valid_pct, uint64_t seed) {
  constexpr const char* what = "random split";
  check_fraction(valid_pct, what, "valid_pct");
  const uint32_t n = checked_rows(ratings, what);
  // Rounded to nearest, halves away from zero. (fastai's RandomSplitter truncates with int();
  // rounding keeps 0.2 of 99 rows at 20 rather than 19.)
  const auto cut = static_cast<uint64_t>(std::llround(static_cast<double>(n) * valid_pct));
  if (cut == 0 || cut == n)
    throw Error(std::string(what) + ": valid_pct " + show_number(valid_pct) + " of " + std::to_string(n) +
                " ratings leaves " + (cut == 0 ? "the validation" : "the training") +
                " set empty");
  std::vector<uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  SplitMix64 rng(seed);
  // Only the first `cut` positions of the permutation are needed; a forward partial shuffle
  // gives exactly the prefix a full shuffle would (see rng_impl.h).
  partial_shuffle(std::span<uint32_t>(perm), cut, rng);
  std::vector<uint8_t> in_valid(n, 0);
  for (size_t i = 0; i < cut; ++i) in_valid[perm[i]] = 1;
  return from_mask(in_valid);
}

Split holdout_entities(const Ratings& ratings, Side side, double share, uint64_t seed) {
  const char* what = side == Side::user ? "cold-user split" : "cold-item split";
  check_fraction(share, what, "share");
  checked_rows(ratings, what);
  const Column<uint32_t>& column = side == Side::user ? ratings.user : ratings.item;
  // The entities that have ratings (an id map may list more), in index order.
  uint32_t max_index = 0;
  for (uint32_t x : column) max_index = std::max(max_index, x);
  std::vector<uint8_t> rated(size_t{max_index} + 1, 0);
  for (uint32_t x : column) rated[x] = 1;
  std::vector<uint32_t> ids;
  for (uint32_t x = 0; x <= max_index; ++x)
    if (rated[x]) ids.push_back(x);
  const auto n = static_cast<uint64_t>(ids.size());
  const auto cut = static_cast<uint64_t>(std::llround(static_cast<double>(n) * share));
  const char* plural = side == Side::user ? " users" : " items";
  if (cut == 0 || cut == n)
    throw Error(std::string(what) + ": share " + show_number(share) + " of " + std::to_string(n) + plural +
                " leaves " + (cut == 0 ? "the validation" : "the training") + " set empty");
  SplitMix64 rng(seed);
  partial_shuffle(std::span<uint32_t>(ids), cut, rng);
  std::vector<uint8_t> held(rated.size(), 0);
  for (size_t k = 0; k < cut; ++k) held[ids[k]] = 1;
  std::vector<uint8_t> in_valid(ratings.size(), 0);
  for (size_t r = 0; r < ratings.size(); ++r) in_valid[r] = held[column[r]];
  return from_mask(in_valid);
}

Split holdout_fraction_per_user(const Ratings& ratings, double fraction, uint64_t seed) {
  constexpr const char* what = "per-user holdout";
  check_fraction(fraction, what, "fraction");
  checked_rows(ratings, what);
  return holdout_per_user(ratings, seed, [fraction](size_t c) {
    return static_cast<size_t>(std::llround(static_cast<double>(c) * fraction));
  });
}

Split holdout_count_per_user(const Ratings& ratings, uint32_t count, uint64_t seed) {
  constexpr const char* what = "per-user holdout";
  if (count == 0) throw Error(std::string(what) + ": count must be at least 1");
  checked_rows(ratings, what);
  return holdout_per_user(ratings, seed, [count](size_t) { return size_t{count}; });
}

Split temporal_cutoff(const Ratings& ratings, int64_t cutoff) {
  constexpr const char* what = "temporal cutoff split";
  const uint32_t n = checked_rows(ratings, what);
  require_timestamps(ratings, what);
  std::vector<uint8_t> in_valid(n);
  for (size_t r = 0; r < n; ++r) in_valid[r] = ratings.timestamp[r] >= cutoff ? 1 : 0;
  return from_mask(in_valid);
}

Split temporal_last_n(const Ratings& ratings, uint32_t n) {
  constexpr const char* what = "temporal last-n split";
  if (n == 0) throw Error(std::string(what) + ": n must be at least 1");
  checked_rows(ratings, what);
  require_timestamps(ratings, what);
  UserRows g = group_by_user(ratings);
  std::vector<uint8_t> in_valid(ratings.size(), 0);
  for (size_t u = 0; u < g.n_users(); ++u) {
    std::span<uint32_t> rows = g.of(u);
    if (rows.size() < 2) continue;
    // Rows arrive ascending, so a stable sort by timestamp breaks ties by row index.
    std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
      return ratings.timestamp[a] < ratings.timestamp[b];
    });
    size_t h = std::min<size_t>(n, rows.size() - 1);
    for (size_t i = rows.size() - h; i < rows.size(); ++i) in_valid[rows[i]] = 1;
  }
  return from_mask(in_valid);
}

std::vector<Split> kfold(const Ratings& ratings, uint32_t k, uint64_t seed) {
  constexpr const char* what = "k-fold split";
  const uint32_t n = checked_rows(ratings, what);
  if (k < 2 || k > n)
    throw Error(std::string(what) + ": k must be between 2 and the number of ratings (" +
                std::to_string(n) + "), got " + std::to_string(k));
  std::vector<uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  SplitMix64 rng(seed);
  shuffle(std::span<uint32_t>(perm), rng);
  // Part i is perm[i*n/k, (i+1)*n/k): sizes differ by at most one, larger parts last.
  std::vector<uint32_t> fold_of(n);
  for (uint64_t i = 0; i < k; ++i) {
    const uint64_t begin = i * n / k, end = (i + 1) * n / k;
    for (uint64_t p = begin; p < end; ++p) fold_of[perm[p]] = static_cast<uint32_t>(i);
  }
  std::vector<Split> folds(k);
  std::vector<uint8_t> in_valid(n);
  for (uint32_t i = 0; i < k; ++i) {
    for (size_t r = 0; r < n; ++r) in_valid[r] = fold_of[r] == i ? 1 : 0;
    folds[i] = from_mask(in_valid);
  }
  return folds;
}

TrainTest remap_predefined(const Ratings& full, const Ratings& train_file, const Ratings& test_file,
                           const std::string& train_name, const std::string& test_name) {
  return TrainTest{remap(full, train_file, train_name), remap(full, test_file, test_name)};
}

}  // namespace cofi
