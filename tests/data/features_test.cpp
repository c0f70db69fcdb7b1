// Features from side data: item features (genres, decades, tags weighted by count), user features
// (ml-100k, ml-1m and synthetic attributes with age buckets and zip prefixes), the generic feature
// file (each bad input's exact message), merging and alignment with a model's rows, the
// invariants check, and the real ml-100k and ml-latest-small side files.
#include "cofi/data/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cofi/data/dataset.h"
#include "cofi/error.h"
#include "support/fixtures.h"

namespace cofi {
namespace {

// A row's features as name -> weight.
std::map<std::string, float> row_of(const FeatureTable& t, const std::string& raw) {
  auto r = t.ids.find(std::string_view(raw));
  EXPECT_TRUE(r) << raw;
  std::map<std::string, float> out;
  if (!r) return out;
  for (size_t j = 0; j < t.features.index_of(*r).size(); ++j)
    out[t.features.names[t.features.index_of(*r)[j]]] = t.features.weight_of(*r)[j];
  return out;
}

void expect_error(const std::function<void()>& fn, const std::string& message) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

Items three_items() {
  Items items;
  items.ids = IdMap::from_sorted_ints({1, 2, 7});
  items.titles = {"A (1995)", "B (1987)", "C"};
  items.years = {1995, 1987, 0};
  items.genre_names = {"Comedy", "Drama", "Horror"};
  items.genres = {{0, 1}, {2}, {}};
  return items;
}

TEST(ItemFeatures, GenresAndDecades) {
  const Items items = three_items();
  FeatureTable t = item_features(&items, nullptr);
  ASSERT_EQ(t.size(), 3u);
  check_features(t.features, 3, "items");
  EXPECT_EQ(row_of(t, "1"), (std::map<std::string, float>{
                                {"genre=Comedy", 0.5f}, {"genre=Drama", 0.5f}, {"decade=1990s", 1.0f}}));
  EXPECT_EQ(row_of(t, "2"), (std::map<std::string, float>{{"genre=Horror", 1.0f}, {"decade=1980s", 1.0f}}));
  EXPECT_TRUE(row_of(t, "7").empty());
  ItemFeatureOptions o;
  o.decades = false;
  FeatureTable g = item_features(&items, nullptr, o);
  EXPECT_EQ(row_of(g, "2"), (std::map<std::string, float>{{"genre=Horror", 1.0f}}));
}

TEST(ItemFeatures, WholeGenresAndRowNormalisation) {
  const Items items = three_items();
  ItemFeatureOptions o;
  o.split_genres = false;
  FeatureTable t = item_features(&items, nullptr, o);
  EXPECT_EQ(row_of(t, "1"), (std::map<std::string, float>{
                                {"genre=Comedy", 1.0f}, {"genre=Drama", 1.0f}, {"decade=1990s", 1.0f}}));
  normalize_rows(t);
  EXPECT_EQ(row_of(t, "1"),
            (std::map<std::string, float>{
                {"genre=Comedy", 1.0f / 3}, {"genre=Drama", 1.0f / 3}, {"decade=1990s", 1.0f / 3}}));
  EXPECT_EQ(row_of(t, "2"), (std::map<std::string, float>{{"genre=Horror", 0.5f}, {"decade=1980s", 0.5f}}));
  EXPECT_TRUE(row_of(t, "7").empty());  // no features: nothing to scale
  check_features(t.features, 3, "normalised");
}

TEST(ItemFeatures, TagsWeightedByCountOnItemsWithEnoughOfThem) {
  Tags tags;
  // "funny" on items 1 (twice, once in other case) and 2; "dark" on 1 once; "rare" only on 7.
  tags.user = {1, 2, 3, 4, 5};
  tags.item = {1, 1, 1, 2, 7};
  tags.tag = {"funny", " Funny", "dark", "funny", "rare"};
  tags.timestamp = {0, 0, 0, 0, 0};
  FeatureTable t = item_features(nullptr, &tags);
  // "dark" and "rare" are each on one item only: below min_tag_items (2).
  EXPECT_EQ(row_of(t, "1"), (std::map<std::string, float>{{"tag=funny", 1.0f}}));
  EXPECT_EQ(row_of(t, "2"), (std::map<std::string, float>{{"tag=funny", 1.0f}}));
  EXPECT_TRUE(row_of(t, "7").empty());
  ItemFeatureOptions o;
  o.min_tag_items = 1;
  FeatureTable all = item_features(nullptr, &tags, o);
  EXPECT_EQ(row_of(all, "1"),
            (std::map<std::string, float>{{"tag=funny", 2.0f / 3}, {"tag=dark", 1.0f / 3}}));
  // Items and tags together: the union of their ids, each group summing to 1.
  Items items = three_items();
  FeatureTable both = item_features(&items, &tags, o);
  EXPECT_EQ(both.size(), 3u);
  EXPECT_EQ(row_of(both, "7"), (std::map<std::string, float>{{"tag=rare", 1.0f}}));
  EXPECT_FLOAT_EQ(row_of(both, "1")["genre=Comedy"], 0.5f);
}

TEST(UserFeatures, AttributesAgeBucketsAndZipPrefixes) {
  Users users;
  users.ids = IdMap::from_sorted_ints({1, 2, 3});
  users.attribute_names = {"age", "gender", "occupation", "zip"};
  users.values = {{"24", "M", "technician", "85711"}, {"56", "F", "other", "T8H1N"}, {"1", "F", "", "9"}};
  FeatureTable t = user_features(users);
  EXPECT_EQ(row_of(t, "1"),
            (std::map<std::string, float>{
                {"age=18-24", 1}, {"gender=M", 1}, {"occupation=technician", 1}, {"zip=85", 1}}));
  EXPECT_EQ(row_of(t, "2"), (std::map<std::string, float>{
                                {"age=56+", 1}, {"gender=F", 1}, {"occupation=other", 1}, {"zip=T8", 1}}));
  // ml-1m's age code 1 is "under 18"; an empty attribute is left out; a short zip stays whole.
  EXPECT_EQ(row_of(t, "3"),
            (std::map<std::string, float>{{"age=under 18", 1}, {"gender=F", 1}, {"zip=9", 1}}));
  // Chosen attributes only; zip_digits 0 leaves the zip out.
  UserFeatureOptions o;
  o.attributes = {"gender", "zip"};
  o.zip_digits = 0;
  EXPECT_EQ(row_of(user_features(users, o), "1"), (std::map<std::string, float>{{"gender=M", 1}}));
  for (auto [age, bucket] : std::vector<std::pair<uint32_t, std::string>>{{17, "under 18"},
                                                                          {18, "18-24"},
                                                                          {25, "25-34"},
                                                                          {35, "35-44"},
                                                                          {45, "45-49"},
                                                                          {50, "50-55"},
                                                                          {55, "50-55"},
                                                                          {56, "56+"}})
    EXPECT_EQ(age_bucket(age), bucket) << age;
}

class FeatureFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    std::string path = dir_.file("features.csv");
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  test::TempDir dir_;
};

TEST_F(FeatureFile, ReadsIdsFeaturesAndWeights) {
  std::string path = write("id,feature,weight\n10,red,2\n2,\"big, heavy\"\n10,blue,0.5\n");
  FeatureTable t = read_feature_file(path);
  EXPECT_EQ(t.ids.kind(), IdMap::Kind::integer);
  EXPECT_EQ(t.ids.ints(), (std::vector<uint32_t>{2, 10}));
  EXPECT_EQ(row_of(t, "10"), (std::map<std::string, float>{{"red", 2.0f}, {"blue", 0.5f}}));
  EXPECT_EQ(row_of(t, "2"), (std::map<std::string, float>{{"big, heavy", 1.0f}}));
  check_features(t.features, 2, "file");
  // String ids when any is not a plain number; no header needed.
  FeatureTable s = read_feature_file(write("u7,a\n007,b\n"));
  EXPECT_EQ(s.ids.kind(), IdMap::Kind::string);
  EXPECT_EQ(s.ids.strings(), (std::vector<std::string>{"007", "u7"}));
}

TEST_F(FeatureFile, EachBadInputHasItsMessage) {
  const std::string p = dir_.file("features.csv");
  expect_error([&] { read_feature_file(write("1,a,1,extra\n")); },
               p + ":1: expected 2 or 3 fields (id,feature[,weight]) separated by ',', found 4");
  expect_error(
      [&] { read_feature_file(write("1,a\n2\n")); },
      p + ":2: field 'feature': expected 2 or 3 fields (id,feature[,weight]) separated by ',', found 1");
  expect_error([&] { read_feature_file(write("1,a\n,b\n")); },
               p + ":2: field 'id': missing value: expected an id");
  expect_error([&] { read_feature_file(write("1,\n")); },
               p + ":1: field 'feature': missing value: expected a feature name");
  expect_error([&] { read_feature_file(write("1,a,x\n")); },
               p + ":1: field 'weight': expected a weight: a finite number > 0, found \"x\"");
  expect_error([&] { read_feature_file(write("1,a,0\n")); },
               p + ":1: field 'weight': expected a weight: a finite number > 0, found \"0\"");
  expect_error([&] { read_feature_file(write("1,a,-2\n")); },
               p + ":1: field 'weight': expected a weight: a finite number > 0, found \"-2\"");
  expect_error([&] { read_feature_file(write("1,a,inf\n")); },
               p + ":1: field 'weight': expected a weight: a finite number > 0, found \"inf\"");
  expect_error([&] { read_feature_file(write("1,a\n2,b\n1,a,3\n")); },
               p + ":3: field 'feature': the feature \"a\" is given twice for id \"1\" (first on line 1)");
  expect_error([&] { read_feature_file(write("id,feature\n")); },
               p + ": no features: the file has a header but no records");
  expect_error([&] { read_feature_file(write("1,\"a\n")); },
               p + ":1: field 'feature': unterminated quote: the field opened with '\"' on line 1 has no "
                   "closing quote before the end of the file");
  expect_error([&] { read_feature_file(write("\n \n")); },
               p + ": the file is empty: expected lines \"id,feature[,weight]\"");
  expect_error([&] { read_feature_file(write("1,\xff\n")); },
               p + ":1: field 'feature': invalid UTF-8 in \"\\xff\"");
}

TEST(FeatureTables, MergeAndAlign) {
  const Items items = three_items();
  FeatureTable a = item_features(&items, nullptr);
  FeatureTable b;
  b.ids = IdMap::from_sorted_ints({2, 9});
  b.features.names = {"genre=Horror", "studio=X"};
  b.features.offsets = {0, 1, 2};
  b.features.index = {0, 1};
  b.features.weight = {2.0f, 1.0f};
  FeatureTable m = merge_features(a, b);
  EXPECT_EQ(m.ids.ints(), (std::vector<uint32_t>{1, 2, 7, 9}));
  // The same name is one feature; the weights of a row's repeated feature add.
  EXPECT_EQ(row_of(m, "2"), (std::map<std::string, float>{{"genre=Horror", 3.0f}, {"decade=1980s", 1.0f}}));
  EXPECT_EQ(row_of(m, "9"), (std::map<std::string, float>{{"studio=X", 1.0f}}));
  check_features(m.features, 4, "merged");
  // Aligned with a model's rows (string ids this time): rows the table lacks get none.
  IdMap rows = IdMap::from_sorted_strings({"1", "3", "9"});
  size_t matched = 0;
  Features f = align_features(m, rows, &matched);
  EXPECT_EQ(matched, 2u);
  check_features(f, 3, "aligned");
  EXPECT_EQ(f.names, m.features.names);
  EXPECT_EQ(f.index_of(1).size(), 0u);
  ASSERT_EQ(f.index_of(2).size(), 1u);
  EXPECT_EQ(f.names[f.index_of(2)[0]], "studio=X");
  EXPECT_EQ(f.find("studio=X"), static_cast<int64_t>(f.index_of(2)[0]));
  EXPECT_EQ(f.find("nope"), -1);
}

TEST(FeatureTables, CheckFeaturesMessages) {
  Features f = empty_features({"a", "b"}, 2);
  EXPECT_NO_THROW(check_features(f, 2, "x"));
  expect_error([&] { check_features(f, 3, "x"); }, "x: features for 2 rows, expected 3");
  f.offsets = {0, 1, 1};
  f.index = {0};
  f.weight = {1.0f, 2.0f};
  expect_error([&] { check_features(f, 2, "x"); }, "x: 1 feature indices but 2 weights");
  f.weight = {1.0f};
  f.offsets = {0, 1, 2};
  expect_error([&] { check_features(f, 2, "x"); }, "x: the row offsets do not span the feature entries");
  // An offset beyond the entries, then back down: caught before any row is read through it.
  Features g = empty_features({"a"}, 3);
  g.offsets = {0, 5, 1, 1};
  g.index = {0};
  g.weight = {1.0f};
  expect_error([&] { check_features(g, 3, "x"); }, "x: row offsets are not ascending at row 1");
  f.offsets = {0, 1, 1};
  f.weight = {std::nanf("")};
  expect_error([&] { check_features(f, 2, "x"); },
               "x: row 0 has feature weight nan (weights must be finite and > 0)");
}

// The real side files: every ml-100k user has 4 features (gender, age bucket, occupation, zip
// prefix), every item its genres and decade; ml-latest-small's tags become features.
TEST(FeaturesOnData, Ml100kAndMlLatestSmall) {
  const char* dir = std::getenv("COFI_DATA_DIR");
  if (!dir) GTEST_SKIP() << "COFI_DATA_DIR is not set";
  LoadOptions o;
  Dataset d = load_dataset(std::string(dir) + "/ml-100k", o);
  ASSERT_TRUE(d.users && d.items);
  FeatureTable users = user_features(*d.users);
  EXPECT_EQ(users.size(), 943u);
  for (size_t r = 0; r < users.size(); ++r) EXPECT_EQ(users.features.index_of(r).size(), 4u) << r;
  EXPECT_EQ(row_of(users, "1"),
            (std::map<std::string, float>{
                {"age=18-24", 1}, {"gender=M", 1}, {"occupation=technician", 1}, {"zip=85", 1}}));
  FeatureTable items = item_features(&*d.items, nullptr);
  EXPECT_EQ(items.size(), 1682u);
  auto toy = row_of(items, "1");  // Toy Story (1995): Animation|Children's|Comedy
  EXPECT_FLOAT_EQ(toy["genre=Comedy"], 1.0f / 3);
  EXPECT_FLOAT_EQ(toy["decade=1990s"], 1.0f);
  Dataset s = load_dataset(std::string(dir) + "/ml-latest-small", o);
  ASSERT_TRUE(s.items && s.tags);
  FeatureTable tagged = item_features(&*s.items, &*s.tags);
  size_t tags = 0;
  for (const auto& n : tagged.features.names) tags += n.rfind("tag=", 0) == 0;
  EXPECT_GT(tags, 100u);
  EXPECT_LT(tags, 1589u);  // single-item tags are left out
  check_features(tagged.features, tagged.size(), "ml-latest-small");
}

}  // namespace
}  // namespace cofi
