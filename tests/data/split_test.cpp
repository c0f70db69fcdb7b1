#include "cofi/data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "cofi/data/ratings_reader.h"
#include "cofi/error.h"
#include "cofi/random.h"

namespace {

using cofi::Ratings;
using cofi::Split;

// A Ratings with dense ids equal to the given ones (id maps 0..max), for synthetic cases.
Ratings make_ratings(const std::vector<uint32_t>& users, const std::vector<uint32_t>& items,
                     const std::vector<int64_t>& timestamps = {}) {
  Ratings r;
  r.user = cofi::Column<uint32_t>(users);
  r.item = cofi::Column<uint32_t>(items);
  r.rating = cofi::Column<float>(std::vector<float>(users.size(), 3.0f));
  if (!timestamps.empty()) r.timestamp = cofi::Column<int64_t>(timestamps);
  auto iota_map = [](const std::vector<uint32_t>& ids) {
    uint32_t n = ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end()) + 1;
    std::vector<uint32_t> raw(n);
    std::iota(raw.begin(), raw.end(), 0u);
    return cofi::IdMap::from_sorted_ints(std::move(raw));
  };
  r.users = iota_map(users);
  r.items = iota_map(items);
  return r;
}

// `n` ratings spread over users with 1, 2, 3, ... ratings each (so single-rating users exist),
// with timestamps that are not in row order and that tie now and then.
Ratings synthetic(size_t n) {
  std::vector<uint32_t> users, items;
  std::vector<int64_t> ts;
  uint32_t u = 0, left = 1, per_user = 1;
  for (size_t r = 0; r < n; ++r) {
    users.push_back(u);
    items.push_back(static_cast<uint32_t>(r % 37));
    ts.push_back(static_cast<int64_t>((r * 7919) % 101));  // ties: only 101 distinct values
    if (--left == 0) {
      ++u;
      per_user = per_user % 12 + 1;
      left = per_user;
    }
  }
  // Shuffle the rows' users a little so a user's rows are not contiguous.
  std::vector<uint32_t> mixed(users.size());
  for (size_t r = 0; r < users.size(); ++r) mixed[r] = users[(r * 13) % users.size()];
  if (std::gcd(size_t{13}, users.size()) != 1) mixed = users;
  return make_ratings(mixed, items, ts);
}

// Both sets strictly ascending, disjoint, and together every row 0..n-1.
void expect_partition(const Split& s, size_t n) {
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  EXPECT_TRUE(std::is_sorted(s.valid.begin(), s.valid.end()));
  EXPECT_EQ(std::adjacent_find(s.train.begin(), s.train.end()), s.train.end());
  EXPECT_EQ(std::adjacent_find(s.valid.begin(), s.valid.end()), s.valid.end());
  ASSERT_EQ(s.train.size() + s.valid.size(), n);
  std::vector<uint8_t> seen(n, 0);
  for (uint32_t r : s.train) {
    ASSERT_LT(r, n);
    ++seen[r];
  }
  for (uint32_t r : s.valid) {
    ASSERT_LT(r, n);
    ++seen[r];
  }
  for (size_t r = 0; r < n; ++r) ASSERT_EQ(seen[r], 1) << "row " << r;
}

std::map<uint32_t, size_t> count_by_user(const Ratings& r, const std::vector<uint32_t>& rows) {
  std::map<uint32_t, size_t> c;
  for (uint32_t row : rows) ++c[r.user[row]];
  return c;
}

// The message of the cofi::Error that `f` throws; fails the test when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const cofi::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no cofi::Error thrown";
  return {};
}

// ---------------------------------------------------------------- the generator

TEST(SplitRng, SplitMix64MatchesTheReferenceImplementation) {
  // First outputs of Vigna's splitmix64.c for seed 0: a change of generator breaks this.
  cofi::SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.next(), 0x06c45d188009454fULL);
}

TEST(SplitRng, BelowStaysInRangeAndReachesEveryValue) {
  cofi::SplitMix64 rng(7);
  EXPECT_EQ(rng.below(1), 0u);
  std::vector<int> hits(6, 0);
  for (int i = 0; i < 6000; ++i) {
    uint64_t v = rng.below(6);
    ASSERT_LT(v, 6u);
    ++hits[v];
  }
  for (int h : hits) EXPECT_NEAR(h, 1000, 150);
  // A bound just above 2^63 rejects almost half the draws; the loop must still end in range.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  for (int i = 0; i < 100; ++i) ASSERT_LT(rng.below(big), big);
}

TEST(SplitRng, PartialShuffleIsAPrefixOfTheFullShuffle) {
  std::vector<uint32_t> full(50), part(50);
  std::iota(full.begin(), full.end(), 0u);
  std::iota(part.begin(), part.end(), 0u);
  cofi::SplitMix64 a(99), b(99);
  cofi::shuffle(std::span<uint32_t>(full), a);
  cofi::partial_shuffle(std::span<uint32_t>(part), 10, b);
  EXPECT_TRUE(std::equal(part.begin(), part.begin() + 10, full.begin()));
  std::sort(full.begin(), full.end());
  for (uint32_t i = 0; i < 50; ++i) EXPECT_EQ(full[i], i);
}

// ---------------------------------------------------------------- random_split

TEST(RandomSplit, GoldenRowsForSeed42) {
  // Pinned: SplitMix64(42), forward Fisher-Yates over rows 0..19, first round(20 * 0.25) = 5
  // positions. Worked out independently with a Python transcription of rng_impl.h. If this
  // changes, every split file users wrote with an older cofi stops being reproducible.
  Ratings r = synthetic(20);
  Split s = cofi::random_split(r, 0.25, 42);
  EXPECT_EQ(s.valid, (std::vector<uint32_t>{2, 6, 8, 13, 16}));
  expect_partition(s, 20);
}

TEST(RandomSplit, ValidSizeIsRoundedFractionAndSetsPartitionTheRows) {
  for (auto [n, pct, expected] : {std::tuple<size_t, double, size_t>{1000, 0.2, 200},
                                  {99, 0.2, 20},  // 19.8: rounded, not truncated
                                  {10, 0.25, 3},  // 2.5: halves away from zero
                                  {10, 0.24, 2},
                                  {2, 0.5, 1},
                                  {7, 0.9, 6}}) {
    Ratings r = synthetic(n);
    Split s = cofi::random_split(r, pct, 1);
    EXPECT_EQ(s.valid.size(), expected) << n << " rows, valid_pct " << pct;
    expect_partition(s, n);
  }
}

TEST(RandomSplit, SameSeedSameSplitOtherSeedOtherSplit) {
  Ratings r = synthetic(500);
  Split a = cofi::random_split(r, 0.2, 123), b = cofi::random_split(r, 0.2, 123);
  Split c = cofi::random_split(r, 0.2, 124);
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.train, b.train);
  EXPECT_NE(a.valid, c.valid);
}

TEST(RandomSplit, EveryRowIsEquallyLikelyToBeHeldOut) {
  // 10 rows, 3 held out, 20000 seeds: each row about 6000 times (sd ~65). A biased bounded draw
  // or an off-by-one in the shuffle shows up as rows far from that.
  Ratings r = synthetic(10);
  std::vector<int> hits(10, 0);
  for (uint64_t seed = 0; seed < 20000; ++seed)
    for (uint32_t row : cofi::random_split(r, 0.3, seed).valid) ++hits[row];
  for (int h : hits) EXPECT_NEAR(h, 6000, 350);
}

TEST(RandomSplit, BadArgumentsAreErrors) {
  Ratings r = synthetic(10);
  for (double bad : {0.0, 1.0, -0.2, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    std::string msg = error_of([&] { cofi::random_split(r, bad, 0); });
    EXPECT_NE(msg.find("valid_pct must be between 0 and 1 (exclusive)"), std::string::npos) << msg;
  }
  EXPECT_EQ(error_of([&] { cofi::random_split(r, 0.01, 0); }),
            "random split: valid_pct 0.01 of 10 ratings leaves the validation set empty");
  EXPECT_EQ(error_of([&] { cofi::random_split(r, 0.99, 0); }),
            "random split: valid_pct 0.99 of 10 ratings leaves the training set empty");
  EXPECT_EQ(error_of([&] { cofi::random_split(Ratings{}, 0.2, 0); }),
            "random split: the ratings are empty");
}

// ---------------------------------------------------------------- per-user holdout

TEST(PerUserSplit, FractionHoldsOutTheRoundedShareOfEachUser) {
  Ratings r = synthetic(400);
  const double f = 0.25;
  Split s = cofi::holdout_fraction_per_user(r, f, 5);
  expect_partition(s, r.size());
  auto all = count_by_user(r, [&] {
    std::vector<uint32_t> rows(r.size());
    std::iota(rows.begin(), rows.end(), 0u);
    return rows;
  }());
  auto train = count_by_user(r, s.train), valid = count_by_user(r, s.valid);
  bool saw_single = false, saw_half = false;
  for (auto [u, c] : all) {
    size_t expected = std::min<size_t>(static_cast<size_t>(std::llround(double(c) * f)), c - 1);
    EXPECT_EQ(valid[u], expected) << "user " << u << " with " << c << " ratings";
    EXPECT_GE(train[u], 1u) << "user " << u;
    saw_single |= c == 1;
    saw_half |= c == 2;  // 2 * 0.25 = 0.5 rounds up to 1
  }
  EXPECT_TRUE(saw_single);
  EXPECT_TRUE(saw_half);
}

TEST(PerUserSplit, CountHoldsOutCountButKeepsOneInTrain) {
  Ratings r = synthetic(400);
  Split s = cofi::holdout_count_per_user(r, 3, 11);
  expect_partition(s, r.size());
  std::map<uint32_t, size_t> all;
  for (uint32_t u : r.user) ++all[u];
  auto train = count_by_user(r, s.train), valid = count_by_user(r, s.valid);
  for (auto [u, c] : all) {
    EXPECT_EQ(valid[u], std::min<size_t>(3, c - 1)) << "user " << u << " with " << c;
    EXPECT_GE(train[u], 1u);
  }
}

TEST(PerUserSplit, DeterministicForASeedAndDifferentForAnother) {
  Ratings r = synthetic(400);
  EXPECT_EQ(cofi::holdout_fraction_per_user(r, 0.3, 1).valid,
            cofi::holdout_fraction_per_user(r, 0.3, 1).valid);
  EXPECT_NE(cofi::holdout_fraction_per_user(r, 0.3, 1).valid,
            cofi::holdout_fraction_per_user(r, 0.3, 2).valid);
  EXPECT_EQ(cofi::holdout_count_per_user(r, 2, 1).valid,
            cofi::holdout_count_per_user(r, 2, 1).valid);
  EXPECT_NE(cofi::holdout_count_per_user(r, 2, 1).valid,
            cofi::holdout_count_per_user(r, 2, 2).valid);
}

TEST(PerUserSplit, AUsersDrawDoesNotDependOnOtherUsers) {
  // Each user draws from its own stream: dropping every rating of other users leaves this
  // user's held-out items unchanged.
  Ratings r = synthetic(400);
  const uint32_t who = r.user[0];
  Split s = cofi::holdout_count_per_user(r, 2, 9);
  std::vector<uint32_t> mine;
  for (uint32_t row = 0; row < r.size(); ++row)
    if (r.user[row] == who) mine.push_back(row);
  Ratings only = cofi::select_rows(r, mine);
  Split t = cofi::holdout_count_per_user(only, 2, 9);
  std::vector<uint32_t> from_full, from_only;
  for (uint32_t row : s.valid)
    if (r.user[row] == who) from_full.push_back(row);
  for (uint32_t k : t.valid) from_only.push_back(mine[k]);
  EXPECT_EQ(from_full, from_only);
}

TEST(PerUserSplit, BadArgumentsAreErrors) {
  Ratings r = synthetic(20);
  EXPECT_EQ(error_of([&] { cofi::holdout_fraction_per_user(r, 0.0, 0); }),
            "per-user holdout: fraction must be between 0 and 1 (exclusive), got 0");
  EXPECT_EQ(error_of([&] { cofi::holdout_fraction_per_user(r, 1.0, 0); }),
            "per-user holdout: fraction must be between 0 and 1 (exclusive), got 1");
  EXPECT_EQ(error_of([&] { cofi::holdout_count_per_user(r, 0, 0); }),
            "per-user holdout: count must be at least 1");
  EXPECT_EQ(error_of([&] { cofi::holdout_count_per_user(Ratings{}, 1, 0); }),
            "per-user holdout: the ratings are empty");
}

// ---------------------------------------------------------------- temporal

TEST(TemporalSplit, CutoffHoldsOutRatingsAtOrAfterIt) {
  Ratings r = synthetic(300);
  Split s = cofi::temporal_cutoff(r, 50);
  expect_partition(s, r.size());
  for (uint32_t row : s.train) EXPECT_LT(r.timestamp[row], 50);
  for (uint32_t row : s.valid) EXPECT_GE(r.timestamp[row], 50);
  EXPECT_FALSE(s.valid.empty());
  EXPECT_FALSE(s.train.empty());
  // Past the last timestamp everything is training data, and that is not an error.
  EXPECT_TRUE(cofi::temporal_cutoff(r, 1000).valid.empty());
}

TEST(TemporalSplit, LastNHoldsOutEachUsersLatestRatings) {
  Ratings r = synthetic(400);
  for (uint32_t n : {1u, 2u, 5u}) {
    Split s = cofi::temporal_last_n(r, n);
    expect_partition(s, r.size());
    std::map<uint32_t, size_t> all;
    for (uint32_t u : r.user) ++all[u];
    auto valid = count_by_user(r, s.valid), train = count_by_user(r, s.train);
    std::map<uint32_t, int64_t> latest_train, earliest_valid;
    for (uint32_t row : s.train)
      latest_train[r.user[row]] = std::max(latest_train[r.user[row]], r.timestamp[row]);
    for (uint32_t row : s.valid) {
      auto [it, fresh] = earliest_valid.try_emplace(r.user[row], r.timestamp[row]);
      if (!fresh) it->second = std::min(it->second, r.timestamp[row]);
    }
    for (auto [u, c] : all) {
      EXPECT_EQ(valid[u], std::min<size_t>(n, c - 1)) << "user " << u << " n " << n;
      EXPECT_GE(train[u], 1u);
      if (valid[u] > 0) {
        EXPECT_GE(earliest_valid[u], latest_train[u]) << "user " << u;
      }
    }
  }
}

TEST(TemporalSplit, LastNBreaksTimestampTiesByRow) {
  // One user, all at the same time: the last rows by index are the "latest".
  Ratings r = make_ratings({0, 0, 0, 0, 0}, {0, 1, 2, 3, 4}, {7, 7, 7, 7, 7});
  Split s = cofi::temporal_last_n(r, 2);
  EXPECT_EQ(s.valid, (std::vector<uint32_t>{3, 4}));
  // Mixed: row 1 is latest, then rows 0 and 3 tie; row 3 wins the tie.
  Ratings m = make_ratings({0, 0, 0, 0}, {0, 1, 2, 3}, {5, 9, 1, 5});
  EXPECT_EQ(cofi::temporal_last_n(m, 2).valid, (std::vector<uint32_t>{1, 3}));
}

TEST(TemporalSplit, NeedsTimestampsAndAPositiveN) {
  Ratings r = make_ratings({0, 1}, {0, 1});
  EXPECT_EQ(error_of([&] { cofi::temporal_cutoff(r, 0); }),
            "temporal cutoff split: the ratings have no timestamps");
  EXPECT_EQ(error_of([&] { cofi::temporal_last_n(r, 1); }),
            "temporal last-n split: the ratings have no timestamps");
  EXPECT_EQ(error_of([&] { cofi::temporal_last_n(synthetic(10), 0); }),
            "temporal last-n split: n must be at least 1");
}

// ---------------------------------------------------------------- k-fold

TEST(KFoldSplit, FoldsAreNearEqualAndEveryRowIsHeldOutOnce) {
  for (auto [n, k] : {std::pair<size_t, uint32_t>{103, 5}, {10, 10}, {7, 2}}) {
    Ratings r = synthetic(n);
    auto folds = cofi::kfold(r, k, 3);
    ASSERT_EQ(folds.size(), k);
    std::vector<int> held(n, 0);
    size_t smallest = n, largest = 0;
    for (const Split& f : folds) {
      expect_partition(f, n);
      for (uint32_t row : f.valid) ++held[row];
      smallest = std::min(smallest, f.valid.size());
      largest = std::max(largest, f.valid.size());
    }
    EXPECT_LE(largest - smallest, 1u) << n << " rows, k " << k;
    for (size_t row = 0; row < n; ++row) EXPECT_EQ(held[row], 1) << "row " << row;
  }
}

TEST(KFoldSplit, DeterministicForASeedAndDifferentForAnother) {
  Ratings r = synthetic(200);
  auto a = cofi::kfold(r, 4, 8), b = cofi::kfold(r, 4, 8), c = cofi::kfold(r, 4, 9);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(a[i].valid, b[i].valid);
  EXPECT_NE(a[0].valid, c[0].valid);
}

TEST(KFoldSplit, KMustBeBetweenTwoAndTheRowCount) {
  Ratings r = synthetic(10);
  EXPECT_EQ(error_of([&] { cofi::kfold(r, 1, 0); }),
            "k-fold split: k must be between 2 and the number of ratings (10), got 1");
  EXPECT_EQ(error_of([&] { cofi::kfold(r, 11, 0); }),
            "k-fold split: k must be between 2 and the number of ratings (10), got 11");
}

// ---------------------------------------------------------------- predefined splits

cofi::RatingsFormat tsv4() {
  cofi::RatingsFormat f;
  f.name = "ml-100k";
  f.delimiter = "\t";
  f.header = false;
  f.fields = 4;
  return f;
}

TEST(PredefinedSplit, SplitFilesTakeTheFullSetsIndices) {
  // Full: users 10, 20, 30 -> 0, 1, 2; items 5, 6, 7 -> 0, 1, 2. The train file alone would
  // index user 20 as 0 and item 7 as 1.
  auto f = tsv4();
  Ratings full = cofi::parse_ratings("10\t5\t1\t100\n20\t6\t2\t200\n30\t7\t3\t300\n20\t7\t4\t400\n",
                                     "u.data", f);
  Ratings train = cofi::parse_ratings("20\t6\t2\t200\n30\t7\t3\t300\n", "u1.base", f);
  Ratings test = cofi::parse_ratings("10\t5\t1\t100\n20\t7\t4\t400\n", "u1.test", f);
  auto tt = cofi::remap_predefined(full, train, test, "u1.base", "u1.test");
  EXPECT_EQ(tt.train.users, full.users);
  EXPECT_EQ(tt.test.items, full.items);
  EXPECT_EQ(tt.train.user.to_vector(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(tt.train.item.to_vector(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(tt.test.user.to_vector(), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(tt.test.item.to_vector(), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(tt.test.rating.to_vector(), (std::vector<float>{1, 4}));
  EXPECT_EQ(tt.test.timestamp.to_vector(), (std::vector<int64_t>{100, 400}));
}

TEST(PredefinedSplit, MatchesRawIdsAcrossIdKinds) {
  // A split file read with string ids still maps onto an integer-keyed full set.
  auto f = tsv4();
  Ratings full = cofi::parse_ratings("10\t5\t1\t1\n20\t6\t2\t2\n", "full", f);
  auto fs = f;
  fs.ids = cofi::IdKind::string;
  Ratings part = cofi::parse_ratings("20\t6\t2\t2\n", "part", fs);
  auto tt = cofi::remap_predefined(full, part, part, "a", "b");
  EXPECT_EQ(tt.train.user.to_vector(), (std::vector<uint32_t>{1}));
  EXPECT_EQ(tt.train.item.to_vector(), (std::vector<uint32_t>{1}));
}

TEST(PredefinedSplit, AnIdMissingFromTheFullSetNamesTheFileAndTheId) {
  auto f = tsv4();
  Ratings full = cofi::parse_ratings("10\t5\t1\t1\n20\t6\t2\t2\n", "u.data", f);
  Ratings ok = cofi::parse_ratings("10\t5\t1\t1\n", "u1.base", f);
  Ratings bad_user = cofi::parse_ratings("10\t5\t1\t1\n944\t6\t2\t2\n", "u1.test", f);
  Ratings bad_item = cofi::parse_ratings("10\t1683\t1\t1\n", "u1.base", f);
  EXPECT_EQ(error_of([&] { cofi::remap_predefined(full, ok, bad_user, "u1.base", "u1.test"); }),
            "u1.test: user \"944\" is not in the full data set (record 2)");
  EXPECT_EQ(error_of([&] { cofi::remap_predefined(full, bad_item, ok, "u1.base", "u1.test"); }),
            "u1.base: item \"1683\" is not in the full data set (record 1)");
}

// ---------------------------------------------------------------- real data

// $COFI_DATA_DIR/<name>, or empty (and the test skipped) when it is not there.
std::filesystem::path data_dir(const std::string& name) {
  const char* root = std::getenv("COFI_DATA_DIR");
  if (root == nullptr) return {};
  std::filesystem::path p = std::filesystem::path(root) / name;
  return std::filesystem::is_directory(p) ? p : std::filesystem::path{};
}

#define REQUIRE_DATA(var, name)                                             \
  const std::filesystem::path var = data_dir(name);                         \
  if (var.empty()) GTEST_SKIP() << name << " not found under $COFI_DATA_DIR"

TEST(SplitRealData, Ml100kSplitsAreIndependentOfReaderThreads) {
  REQUIRE_DATA(dir, "ml-100k");
  cofi::ReadOptions one, many;
  one.threads = 1;
  many.threads = 4;
  Ratings a = cofi::read_ratings((dir / "u.data").string(), tsv4(), one);
  Ratings b = cofi::read_ratings((dir / "u.data").string(), tsv4(), many);
  ASSERT_EQ(a.size(), 100000u);
  Split sa = cofi::random_split(a, 0.2, 42), sb = cofi::random_split(b, 0.2, 42);
  EXPECT_EQ(sa.valid.size(), 20000u);
  expect_partition(sa, a.size());
  EXPECT_EQ(sa.valid, sb.valid);
  EXPECT_EQ(cofi::holdout_fraction_per_user(a, 0.2, 42).valid,
            cofi::holdout_fraction_per_user(b, 0.2, 42).valid);
}

TEST(SplitRealData, Ml100kPerUserAndTemporalSplits) {
  REQUIRE_DATA(dir, "ml-100k");
  Ratings r = cofi::read_ratings((dir / "u.data").string(), tsv4());
  // Every ml-100k user has at least 20 ratings, so every user gives exactly 10 to validation.
  Split count = cofi::holdout_count_per_user(r, 10, 1);
  expect_partition(count, r.size());
  EXPECT_EQ(count.valid.size(), 943u * 10);
  Split frac = cofi::holdout_fraction_per_user(r, 0.2, 1);
  expect_partition(frac, r.size());
  EXPECT_NEAR(double(frac.valid.size()), 20000.0, 500.0);
  Split last = cofi::temporal_last_n(r, 1);
  expect_partition(last, r.size());
  EXPECT_EQ(last.valid.size(), 943u);
  std::vector<int64_t> latest(r.n_users(), std::numeric_limits<int64_t>::min());
  for (uint32_t row : last.train) latest[r.user[row]] = std::max(latest[r.user[row]], r.timestamp[row]);
  for (uint32_t row : last.valid) EXPECT_GE(r.timestamp[row], latest[r.user[row]]);
}

TEST(SplitRealData, Ml100kU1RemapsOntoUData) {
  REQUIRE_DATA(dir, "ml-100k");
  Ratings full = cofi::read_ratings((dir / "u.data").string(), tsv4());
  Ratings base = cofi::read_ratings((dir / "u1.base").string(), tsv4());
  Ratings test = cofi::read_ratings((dir / "u1.test").string(), tsv4());
  auto tt = cofi::remap_predefined(full, base, test, "u1.base", "u1.test");
  ASSERT_EQ(tt.train.size(), 80000u);
  ASSERT_EQ(tt.test.size(), 20000u);
  EXPECT_EQ(tt.train.n_users(), 943u);
  EXPECT_EQ(tt.test.n_users(), 943u);
  EXPECT_EQ(tt.train.items, full.items);
  EXPECT_LE(base.n_users(), full.n_users());
  // u1.base and u1.test partition u.data: the remapped (user, item, rating, time) records,
  // together, are exactly the full set's.
  using Rec = std::tuple<uint32_t, uint32_t, float, int64_t>;
  auto records = [](const Ratings& r, std::vector<Rec>& out) {
    for (size_t i = 0; i < r.size(); ++i)
      out.emplace_back(r.user[i], r.item[i], r.rating[i], r.timestamp[i]);
  };
  std::vector<Rec> split, whole;
  records(tt.train, split);
  records(tt.test, split);
  records(full, whole);
  std::sort(split.begin(), split.end());
  std::sort(whole.begin(), whole.end());
  EXPECT_TRUE(split == whole);
  // And the raw ids agree row by row, through the full set's maps.
  for (size_t i = 0; i < base.size(); i += 997) {
    EXPECT_EQ(full.users.raw(tt.train.user[i]), base.users.raw(base.user[i]));
    EXPECT_EQ(full.items.raw(tt.train.item[i]), base.items.raw(base.item[i]));
  }
}

TEST(SplitRealData, MlLatestSmallFiveFoldsCoverEveryRow) {
  REQUIRE_DATA(dir, "ml-latest-small");
  cofi::RatingsFormat f;
  f.name = "ml-latest ratings.csv";
  f.header = true;
  f.fields = 4;
  Ratings r = cofi::read_ratings((dir / "ratings.csv").string(), f);
  ASSERT_EQ(r.size(), 100836u);
  auto folds = cofi::kfold(r, 5, 2024);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<uint8_t> held(r.size(), 0);
  for (const Split& s : folds) {
    expect_partition(s, r.size());
    EXPECT_TRUE(s.valid.size() == 20167u || s.valid.size() == 20168u) << s.valid.size();
    for (uint32_t row : s.valid) ++held[row];
  }
  EXPECT_EQ(std::count(held.begin(), held.end(), uint8_t{1}), 100836);
}

}  // namespace

// ---- cold start: whole users or items held out ----

TEST(HoldoutEntities, HoldsOutWholeUsersAndItemsDeterministically) {
  Ratings r = synthetic(2000);
  for (cofi::Side side : {cofi::Side::user, cofi::Side::item}) {
    const auto& column = side == cofi::Side::user ? r.user : r.item;
    std::vector<uint8_t> present(20000, 0);
    size_t n = 0;
    for (uint32_t x : column) n += !present[x]++;
    Split s = cofi::holdout_entities(r, side, 0.2, 7);
    EXPECT_EQ(s.train.size() + s.valid.size(), r.size());
    EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
    EXPECT_TRUE(std::is_sorted(s.valid.begin(), s.valid.end()));
    // No entity is on both sides, and round(n * 0.2) are held out.
    std::vector<uint8_t> in_train(20000, 0), in_valid(20000, 0);
    for (uint32_t row : s.train) in_train[column[row]] = 1;
    for (uint32_t row : s.valid) in_valid[column[row]] = 1;
    size_t held = 0;
    for (size_t x = 0; x < in_train.size(); ++x) {
      EXPECT_FALSE(in_train[x] && in_valid[x]) << x;
      held += in_valid[x];
    }
    EXPECT_EQ(held, static_cast<size_t>(std::llround(static_cast<double>(n) * 0.2)));
    // The same seed, the same split; another seed, another.
    Split again = cofi::holdout_entities(r, side, 0.2, 7);
    EXPECT_EQ(again.valid, s.valid);
    EXPECT_NE(cofi::holdout_entities(r, side, 0.2, 8).valid, s.valid);
  }
}

TEST(HoldoutEntities, BadSharesAreErrors) {
  Ratings r = make_ratings({0, 0, 1, 1}, {0, 1, 0, 1});
  auto message = [&](cofi::Side side, double share) {
    try {
      cofi::holdout_entities(r, side, share, 1);
    } catch (const cofi::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message(cofi::Side::user, 0.0),
            "cold-user split: share must be between 0 and 1 (exclusive), got 0");
  EXPECT_EQ(message(cofi::Side::item, 0.1),
            "cold-item split: share 0.1 of 2 items leaves the validation set empty");
  EXPECT_EQ(message(cofi::Side::user, 0.9),
            "cold-user split: share 0.9 of 2 users leaves the training set empty");
  EXPECT_EQ(message(cofi::Side::user, 0.5), "(no error)");
}
