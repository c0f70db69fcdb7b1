// Data sets by name and by path: layout detection, side data, predefined splits, the ml-1m and
// ml-10m layouts on small fixtures, generic delimited files, the binary cache path, and the
// summary `cofi data info` prints. Real data comes from $COFI_DATA_DIR (ctest sets it).
#include "cofi/data/dataset.h"

#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fixtures.h"

#include "cofi/data/split.h"
#include "cofi/data/summary.h"
#include "cofi/error.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

using cofi::test::TempDir;
using cofi::test::EnvGuard;

// ---- fixtures ----------------------------------------------------------------------------

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

fs::path data_dir() {
  const char* d = std::getenv("COFI_DATA_DIR");
  return d ? fs::path(d) : fs::path();
}

// Skips the test when a shared data set is missing (a checkout without /work/shared/data).
#define REQUIRE_DATA(name)                                                        \
  do {                                                                            \
    if (!fs::is_directory(data_dir() / (name)))                                   \
      GTEST_SKIP() << "data set " << (name) << " not in COFI_DATA_DIR=" << data_dir(); \
  } while (0)

// The message of the cofi::Error that `body` throws; fails the test when it throws nothing.
template <class F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const cofi::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a cofi::Error";
  return {};
}

template <class T>
void expect_same_column(const cofi::Column<T>& a, const cofi::Column<T>& b, const char* name) {
  ASSERT_EQ(a.size(), b.size()) << name;
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << name << " differs";
}

void expect_same_ratings(const cofi::Ratings& a, const cofi::Ratings& b) {
  expect_same_column(a.user, b.user, "user");
  expect_same_column(a.item, b.item, "item");
  expect_same_column(a.rating, b.rating, "rating");
  expect_same_column(a.timestamp, b.timestamp, "timestamp");
  EXPECT_TRUE(a.users == b.users);
  EXPECT_TRUE(a.items == b.items);
}

// ---- data sets by name -------------------------------------------------------------------

TEST(Dataset, MlLatestSmallByName) {
  REQUIRE_DATA("ml-latest-small");
  cofi::Dataset d = cofi::load_dataset("ml-latest-small");
  EXPECT_EQ(d.layout, cofi::Layout::ml_latest);
  EXPECT_EQ(fs::path(d.ratings_path).filename(), "ratings.csv");
  EXPECT_EQ(d.ratings.size(), 100836u);
  EXPECT_EQ(d.ratings.n_users(), 610u);
  EXPECT_EQ(d.ratings.n_items(), 9724u);
  EXPECT_TRUE(d.ratings.has_timestamps());
  EXPECT_EQ(d.report.records, 100836u);
  ASSERT_TRUE(d.items.has_value());
  EXPECT_EQ(d.items->size(), 9742u);
  EXPECT_EQ(d.items->imdb_ids.size(), 9742u) << "links.csv is read into the items";
  EXPECT_EQ(d.items->tmdb_ids.size(), 9742u);
  ASSERT_TRUE(d.tags.has_value());
  EXPECT_EQ(d.tags->size(), 3683u);
  EXPECT_FALSE(d.users.has_value());
  EXPECT_TRUE(d.splits.empty());
}

TEST(Dataset, Ml100kByName) {
  REQUIRE_DATA("ml-100k");
  cofi::Dataset d = cofi::load_dataset("ml-100k");
  EXPECT_EQ(d.layout, cofi::Layout::ml_100k);
  EXPECT_EQ(fs::path(d.ratings_path).filename(), "u.data");
  EXPECT_EQ(d.ratings.size(), 100000u);
  EXPECT_EQ(d.ratings.n_users(), 943u);
  EXPECT_EQ(d.ratings.n_items(), 1682u);
  ASSERT_TRUE(d.items.has_value());
  EXPECT_EQ(d.items->size(), 1682u);
  EXPECT_EQ(d.items->genre_names.size(), 19u);
  ASSERT_TRUE(d.users.has_value());
  EXPECT_EQ(d.users->size(), 943u);
  EXPECT_FALSE(d.users->attribute_names.empty());
  EXPECT_FALSE(d.tags.has_value());
  std::vector<std::string> names;
  for (const auto& s : d.splits) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"u1", "u2", "u3", "u4", "u5", "ua", "ub"}));
}

TEST(Dataset, UnknownNameListsKnownNames) {
  std::string msg = error_of([] { cofi::load_dataset("no-such-dataset"); });
  EXPECT_THAT(msg, HasSubstr("unknown data set 'no-such-dataset'"));
  EXPECT_THAT(msg, HasSubstr("ml-latest-small"));
  EXPECT_THAT(msg, HasSubstr("ml-100k"));
  EXPECT_THAT(msg, HasSubstr("ml-25m"));
}

// ---- data sets by path -------------------------------------------------------------------

TEST(Dataset, ByFolderPath) {
  REQUIRE_DATA("ml-latest-small");
  cofi::Dataset d = cofi::load_dataset((data_dir() / "ml-latest-small").string());
  EXPECT_EQ(d.layout, cofi::Layout::ml_latest);
  EXPECT_EQ(d.ratings.size(), 100836u);
  ASSERT_TRUE(d.items.has_value());
  EXPECT_EQ(d.items->size(), 9742u);
}

TEST(Dataset, ByRatingsFilePathReadsSideDataFromItsFolder) {
  REQUIRE_DATA("ml-latest-small");
  REQUIRE_DATA("ml-100k");
  cofi::Dataset latest = cofi::load_dataset((data_dir() / "ml-latest-small" / "ratings.csv").string());
  EXPECT_EQ(latest.layout, cofi::Layout::ml_latest);
  EXPECT_EQ(latest.ratings.size(), 100836u);
  ASSERT_TRUE(latest.items.has_value());
  EXPECT_EQ(latest.items->size(), 9742u);
  ASSERT_TRUE(latest.tags.has_value());
  EXPECT_EQ(latest.tags->size(), 3683u);

  cofi::Dataset k100 = cofi::load_dataset((data_dir() / "ml-100k" / "u.data").string());
  EXPECT_EQ(k100.layout, cofi::Layout::ml_100k);
  EXPECT_EQ(k100.ratings.size(), 100000u);
  ASSERT_TRUE(k100.items.has_value());
  EXPECT_EQ(k100.items->size(), 1682u);
  ASSERT_TRUE(k100.users.has_value());
  EXPECT_EQ(k100.users->size(), 943u);
  EXPECT_EQ(k100.splits.size(), 7u);
}

TEST(Dataset, CanonicalSplitFilesDetectedByHeader) {
  fs::path dir = data_dir() / "splits" / "ml-latest-small-80-20";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing";
  EXPECT_EQ(cofi::detect_layout((dir / "train.csv").string()), cofi::Layout::ml_latest);
  EXPECT_EQ(cofi::detect_layout((dir / "valid.csv").string()), cofi::Layout::ml_latest);
  cofi::Dataset train = cofi::load_dataset((dir / "train.csv").string());
  cofi::Dataset valid = cofi::load_dataset((dir / "valid.csv").string());
  EXPECT_EQ(train.layout, cofi::Layout::ml_latest);
  EXPECT_EQ(valid.layout, cofi::Layout::ml_latest);
  EXPECT_EQ(train.ratings.size(), 80668u);
  EXPECT_EQ(valid.ratings.size(), 20168u);
  EXPECT_EQ(train.ratings.size() + valid.ratings.size(), 100836u);
  EXPECT_TRUE(train.ratings.has_timestamps());
}

TEST(Dataset, FolderWithoutRatingsListsWhatWasLookedFor) {
  TempDir tmp;
  write_file(tmp.path() / "README.txt", "nothing to see\n");
  std::string msg = error_of([&] { cofi::load_dataset(tmp.path().string()); });
  EXPECT_THAT(msg, StartsWith(tmp.path().string()));
  EXPECT_THAT(msg, HasSubstr("ratings.csv"));
  EXPECT_THAT(msg, HasSubstr("u.data"));
  EXPECT_THAT(msg, HasSubstr("ratings.dat"));
  EXPECT_EQ(error_of([&] { cofi::detect_layout(tmp.path().string()); }), msg);
}

TEST(Dataset, MissingPathIsAnError) {
  TempDir tmp;
  std::string missing = (tmp.path() / "nope" / "ratings.csv").string();
  EXPECT_THAT(error_of([&] { cofi::load_dataset(missing); }), HasSubstr("no such file or folder"));
}

// ---- forced layouts and generic delimited files ------------------------------------------

TEST(Dataset, ForcedLayout) {
  REQUIRE_DATA("ml-100k");
  TempDir tmp;
  // u.data's records under a name no detector knows: detected as delimited, read as ml-100k
  // when forced.
  fs::path odd = tmp.path() / "ratings.tsv";
  write_file(odd, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n");
  EXPECT_EQ(cofi::detect_layout(odd.string()), cofi::Layout::delimited);
  cofi::LoadOptions o;
  o.layout = cofi::Layout::ml_100k;
  cofi::Dataset d = cofi::load_dataset(odd.string(), o);
  EXPECT_EQ(d.layout, cofi::Layout::ml_100k);
  EXPECT_EQ(d.ratings.size(), 3u);
  EXPECT_EQ(d.format.delimiter, "\t");
  EXPECT_FALSE(d.items.has_value());

  // A layout forced on a folder that does not hold it names the file it missed.
  std::string msg = error_of([&] { cofi::load_dataset((data_dir() / "ml-100k").string(), [] {
                                   cofi::LoadOptions f;
                                   f.layout = cofi::Layout::ml_latest;
                                   return f;
                                 }()); });
  EXPECT_THAT(msg, HasSubstr("no ratings.csv in this ml-latest folder"));
}

TEST(Dataset, GenericDelimitedFile) {
  TempDir tmp;
  fs::path file = tmp.path() / "scores.txt";
  write_file(file,
             "who;what;score;when\n"
             "carol;m-2;4.5;300\n"
             "alice;m-1;3;100\n"
             "bob;m-2;2.5;200\n"
             "alice;m-3;5;400\n");
  cofi::LoadOptions o;
  o.layout = cofi::Layout::delimited;
  o.delimited.name = "test scores";
  o.delimited.delimiter = ";";
  o.delimited.header = true;
  o.delimited.ids = cofi::IdKind::string;
  o.delimited.rating_min = 0;
  o.delimited.rating_max = 5;
  cofi::Dataset d = cofi::load_dataset(file.string(), o);
  EXPECT_EQ(d.layout, cofi::Layout::delimited);
  EXPECT_EQ(d.ratings_path, file.string());
  ASSERT_EQ(d.ratings.size(), 4u);
  EXPECT_EQ(d.ratings.users.kind(), cofi::IdMap::Kind::string);
  EXPECT_EQ(d.ratings.users.strings(), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(d.ratings.items.strings(), (std::vector<std::string>{"m-1", "m-2", "m-3"}));
  // Records keep file order; dense ids follow sorted raw ids.
  EXPECT_EQ(d.ratings.users.raw(d.ratings.user[0]), "carol");
  EXPECT_EQ(d.ratings.items.raw(d.ratings.item[0]), "m-2");
  EXPECT_FLOAT_EQ(d.ratings.rating[0], 4.5f);
  ASSERT_TRUE(d.ratings.has_timestamps());
  EXPECT_EQ(d.ratings.timestamp[3], 400);
  EXPECT_FALSE(d.items.has_value());
  EXPECT_TRUE(d.splits.empty());

  // The delimited layout needs a file, not a folder.
  EXPECT_THAT(error_of([&] { cofi::load_dataset(tmp.path().string(), o); }), HasSubstr("needs a file"));
  // And has no fixed MovieLens format.
  EXPECT_THAT(error_of([] { cofi::movielens_format(cofi::Layout::delimited); }), HasSubstr("no fixed format"));
}

// ---- predefined splits -------------------------------------------------------------------

TEST(Dataset, PredefinedSplitInFullIndexSpace) {
  REQUIRE_DATA("ml-100k");
  cofi::Dataset d = cofi::load_dataset("ml-100k");
  cofi::TrainTest tt = cofi::load_predefined_split(d, "u1");
  EXPECT_EQ(tt.train.size(), 80000u);
  EXPECT_EQ(tt.test.size(), 20000u);
  // Both halves share the full data set's id maps, so their dense indices mean the same.
  EXPECT_TRUE(tt.train.users == d.ratings.users);
  EXPECT_TRUE(tt.train.items == d.ratings.items);
  EXPECT_TRUE(tt.test.users == d.ratings.users);
  EXPECT_TRUE(tt.test.items == d.ratings.items);
  for (size_t i = 0; i < tt.test.size(); ++i) {
    ASSERT_LT(tt.test.user[i], d.ratings.n_users());
    ASSERT_LT(tt.test.item[i], d.ratings.n_items());
  }
  // u1.test's first record is "1\t6\t5\t887431973".
  EXPECT_EQ(tt.test.users.raw(tt.test.user[0]), "1");
  EXPECT_EQ(tt.test.items.raw(tt.test.item[0]), "6");
  EXPECT_FLOAT_EQ(tt.test.rating[0], 5.0f);

  std::string msg = error_of([&] { cofi::load_predefined_split(d, "u9"); });
  EXPECT_THAT(msg, HasSubstr("no predefined split 'u9'"));
  EXPECT_THAT(msg, HasSubstr("u1, u2, u3, u4, u5, ua, ub"));
}

TEST(Dataset, PredefinedSplitOfDataSetWithoutAny) {
  REQUIRE_DATA("ml-latest-small");
  cofi::Dataset d = cofi::load_dataset("ml-latest-small");
  EXPECT_THAT(error_of([&] { cofi::load_predefined_split(d, "u1"); }), HasSubstr("ships none"));
}

// ---- ml-1m and ml-10m layouts ------------------------------------------------------------

const char* kDatRatings =
    "1::10::5::978300760\n"
    "1::20::3::978302109\n"
    "2::10::4::978301968\n"
    "3::30::1::978300275\n";

TEST(Dataset, Ml1mLayoutWithUsersDat) {
  TempDir tmp;
  write_file(tmp.path() / "ratings.dat", kDatRatings);
  write_file(tmp.path() / "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n");
  write_file(tmp.path() / "movies.dat",
             "10::GoldenEye (1995)::Action|Adventure|Thriller\n"
             "20::Money Train (1995)::Action\n"
             "30::Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)::Drama\n");
  EXPECT_EQ(cofi::detect_layout(tmp.path().string()), cofi::Layout::ml_1m);
  EXPECT_EQ(cofi::detect_layout((tmp.path() / "ratings.dat").string()), cofi::Layout::ml_1m);
  cofi::Dataset d = cofi::load_dataset(tmp.path().string());
  EXPECT_EQ(d.layout, cofi::Layout::ml_1m);
  EXPECT_EQ(d.format.delimiter, "::");
  EXPECT_EQ(d.format.rating_min, 1.0f);
  EXPECT_EQ(d.format.rating_max, 5.0f);
  EXPECT_EQ(d.ratings.size(), 4u);
  EXPECT_EQ(d.ratings.n_users(), 3u);
  EXPECT_EQ(d.ratings.n_items(), 3u);
  ASSERT_TRUE(d.users.has_value());
  EXPECT_EQ(d.users->size(), 3u);
  ASSERT_TRUE(d.items.has_value());
  EXPECT_EQ(d.items->size(), 3u);
  EXPECT_EQ(d.items->years[0], 1995);

  // ml-1m ratings are whole stars from 1 to 5: ml-10m's 0.5 is out of range and a 4.5 is not a
  // whole star, each an error at its file, line and field.
  fs::path bad = tmp.path() / "bad";
  write_file(bad / "ratings.dat", "1::10::5::978300760\n1::20::0.5::978302109\n");
  write_file(bad / "users.dat", "1::F::1::10::48067\n");
  std::string msg = error_of([&] { cofi::load_dataset(bad.string()); });
  EXPECT_EQ(msg, (bad / "ratings.dat").string() + ":2: field 'Rating': rating 0.5 is out of range: expected 1 to 5");
  write_file(bad / "ratings.dat", "1::10::5::978300760\n1::20::4::978302109\n1::30::4.5::978302110\n");
  msg = error_of([&] { cofi::load_dataset(bad.string()); });
  EXPECT_EQ(msg, (bad / "ratings.dat").string() +
                     ":3: field 'Rating': rating 4.5 is not a multiple of 1 (this scale has whole stars)");
}

TEST(Dataset, Ml10mLayoutWithoutUsersDat) {
  TempDir tmp;
  write_file(tmp.path() / "ratings.dat", std::string(kDatRatings) + "3::10::4.5::978300276\n2::30::0.5::978300277\n");
  write_file(tmp.path() / "tags.dat", "1::10::spy::1188263867\n2::30::china::1188263868\n");
  EXPECT_EQ(cofi::detect_layout(tmp.path().string()), cofi::Layout::ml_10m);
  cofi::Dataset d = cofi::load_dataset((tmp.path() / "ratings.dat").string());
  EXPECT_EQ(d.layout, cofi::Layout::ml_10m);
  EXPECT_EQ(d.format.rating_min, 0.5f);
  EXPECT_EQ(d.format.rating_max, 5.0f);
  EXPECT_EQ(d.ratings.size(), 6u);
  EXPECT_FLOAT_EQ(d.ratings.rating[4], 4.5f);
  EXPECT_FLOAT_EQ(d.ratings.rating[5], 0.5f);
  EXPECT_FALSE(d.users.has_value());
  ASSERT_TRUE(d.tags.has_value());
  EXPECT_EQ(d.tags->size(), 2u);

  // Below half a star is out of range for ml-10m too.
  fs::path bad = tmp.path() / "bad";
  write_file(bad / "ratings.dat", "1::10::0::978300760\n");
  EXPECT_THAT(error_of([&] { cofi::load_dataset(bad.string()); }),
              StartsWith((bad / "ratings.dat").string() + ":1: field 'Rating': "));
}

// ---- the binary cache --------------------------------------------------------------------

TEST(Dataset, SecondLoadComesFromTheBinaryCache) {
  REQUIRE_DATA("ml-latest-small");
  TempDir cache;
  EnvGuard env("COFI_CACHE_DIR", cache.path().string());
  cofi::Dataset first = cofi::load_dataset("ml-latest-small");
  EXPECT_FALSE(first.from_cache);
  cofi::Dataset second = cofi::load_dataset("ml-latest-small");
  EXPECT_TRUE(second.from_cache);
  expect_same_ratings(first.ratings, second.ratings);
  EXPECT_EQ(second.report.records, first.report.records);
  EXPECT_EQ(second.report.lines, first.report.lines);
  // Side data is not cached but read again.
  ASSERT_TRUE(second.items.has_value());
  EXPECT_EQ(second.items->size(), 9742u);

  // use_cache = false parses again, with the same result.
  cofi::LoadOptions no_cache;
  no_cache.use_cache = false;
  cofi::Dataset third = cofi::load_dataset("ml-latest-small", no_cache);
  EXPECT_FALSE(third.from_cache);
  expect_same_ratings(first.ratings, third.ratings);
}

// ---- summary -----------------------------------------------------------------------------

TEST(Summary, MlLatestSmall) {
  REQUIRE_DATA("ml-latest-small");
  cofi::Dataset d = cofi::load_dataset("ml-latest-small");
  cofi::DataSummary s = cofi::summarize(d);
  EXPECT_EQ(s.ratings, 100836u);
  EXPECT_EQ(s.users, 610u);
  EXPECT_EQ(s.items, 9724u);
  EXPECT_EQ(s.catalog_items, 9742u);
  EXPECT_NEAR(s.density, 100836.0 / (610.0 * 9724.0), 1e-12);
  EXPECT_NEAR(s.density, 0.017, 0.0005);
  EXPECT_EQ(s.min_rating, 0.5);
  EXPECT_EQ(s.max_rating, 5.0);

  ASSERT_EQ(s.histogram.size(), 10u);
  uint64_t total = 0;
  for (size_t k = 0; k < s.histogram.size(); ++k) {
    EXPECT_FLOAT_EQ(s.histogram[k].first, 0.5f * static_cast<float>(k + 1));
    total += s.histogram[k].second;
  }
  EXPECT_EQ(total, 100836u);

  EXPECT_EQ(s.per_user.min, 20u);
  EXPECT_EQ(s.per_item.max, 329u);
  EXPECT_EQ(s.per_item.min, 1u);
  ASSERT_EQ(s.most_rated.size(), 10u);
  EXPECT_EQ(s.most_rated[0].id, "356");
  EXPECT_EQ(s.most_rated[0].count, 329u);
  EXPECT_THAT(s.most_rated[0].title, HasSubstr("Forrest Gump"));
  for (size_t k = 1; k < s.most_rated.size(); ++k) EXPECT_LE(s.most_rated[k].count, s.most_rated[k - 1].count);

  EXPECT_TRUE(s.has_timestamps);
  EXPECT_LT(s.first_timestamp, s.last_timestamp);
  EXPECT_EQ(s.genres, 19u);  // "(no genres listed)" is no genre
  EXPECT_EQ(s.tags, 3683u);
  EXPECT_TRUE(s.links);
  EXPECT_TRUE(s.user_attributes.empty());
  EXPECT_TRUE(s.predefined_splits.empty());

  EXPECT_EQ(cofi::summarize(d, 3).most_rated.size(), 3u);
}

TEST(Summary, Ml100kHasDemographicsAndSplits) {
  REQUIRE_DATA("ml-100k");
  cofi::DataSummary s = cofi::summarize(cofi::load_dataset("ml-100k"));
  EXPECT_EQ(s.ratings, 100000u);
  ASSERT_EQ(s.histogram.size(), 5u);
  EXPECT_EQ(s.users_with_attributes, 943u);
  EXPECT_FALSE(s.user_attributes.empty());
  EXPECT_EQ(s.predefined_splits.size(), 7u);
  EXPECT_EQ(s.per_user.min, 20u);
}

// ---- layout names ------------------------------------------------------------------------

TEST(Layout, ToStringAndParseRoundTrip) {
  for (cofi::Layout l : {cofi::Layout::ml_latest, cofi::Layout::ml_100k, cofi::Layout::ml_1m, cofi::Layout::ml_10m,
                         cofi::Layout::delimited})
    EXPECT_EQ(cofi::parse_layout(cofi::to_string(l)), l) << cofi::to_string(l);
  EXPECT_STREQ(cofi::to_string(cofi::Layout::ml_latest), "ml-latest");
  EXPECT_STREQ(cofi::to_string(cofi::Layout::ml_100k), "ml-100k");
  // The ml-latest family's names are accepted for its layout.
  EXPECT_EQ(cofi::parse_layout("ml-25m"), cofi::Layout::ml_latest);
  EXPECT_EQ(cofi::parse_layout("ml-latest-small"), cofi::Layout::ml_latest);
}

TEST(Layout, ParseRejectsUnknownNames) {
  EXPECT_EQ(error_of([] { cofi::parse_layout("nope"); }),
            "unknown layout 'nope': expected ml-latest, ml-100k, ml-1m, ml-10m or delimited");
}

TEST(Layout, MovieLensFormats) {
  cofi::RatingsFormat latest = cofi::movielens_format(cofi::Layout::ml_latest);
  EXPECT_EQ(latest.delimiter, ",");
  EXPECT_TRUE(latest.header);
  EXPECT_EQ(latest.rating_min, 0.5f);
  cofi::RatingsFormat k100 = cofi::movielens_format(cofi::Layout::ml_100k);
  EXPECT_EQ(k100.delimiter, "\t");
  EXPECT_FALSE(k100.header);
  EXPECT_EQ(k100.rating_min, 1.0f);
  EXPECT_EQ(cofi::movielens_format(cofi::Layout::ml_1m).rating_min, 1.0f);
  EXPECT_EQ(cofi::movielens_format(cofi::Layout::ml_10m).rating_min, 0.5f);
}

}  // namespace
