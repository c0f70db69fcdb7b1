// The ratings reader: every bad-input case has a test asserting its message (file, line, field),
// and good input parses to exactly the expected columns, whatever the thread count.
#include "cofi/data/ratings_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "cofi/error.h"

namespace {

using cofi::DuplicatePolicy;
using cofi::Error;
using cofi::RatingsFormat;
using cofi::ReadOptions;
using cofi::ReadReport;
using ::testing::HasSubstr;

RatingsFormat latest() {
  RatingsFormat f;
  f.name = "MovieLens ratings.csv";
  f.header = true;
  f.expected_header = {"userId", "movieId", "rating", "timestamp"};
  f.fields = 4;
  f.rating_min = 0.5f;
  f.rating_max = 5.0f;
  return f;
}

RatingsFormat tab() {
  RatingsFormat f;
  f.delimiter = "\t";
  f.fields = 4;
  f.rating_min = 1;
  f.rating_max = 5;
  return f;
}

// Parses `text` as the file `ratings.csv` and returns the error message, or "" when it parsed.
std::string error_of(const std::string& text, const RatingsFormat& f = latest(), ReadOptions o = {}) {
  try {
    cofi::parse_ratings(text, "ratings.csv", f, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(RatingsReader, ParsesRecordsAndMapsIdsInSortedOrder) {
  ReadReport rep;
  auto r = cofi::parse_ratings("userId,movieId,rating,timestamp\n10,7,4.5,100\n2,7,3,200\n10,3,0.5,300\n",
                               "ratings.csv", latest(), {}, &rep);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.n_users(), 2u);
  EXPECT_EQ(r.n_items(), 2u);
  // Users 2 < 10 and items 3 < 7: dense indices follow raw id order, not file order.
  EXPECT_EQ(r.users.raw(0), "2");
  EXPECT_EQ(r.users.raw(1), "10");
  EXPECT_EQ(r.items.raw(0), "3");
  EXPECT_EQ(r.user[0], 1u);
  EXPECT_EQ(r.item[0], 1u);
  EXPECT_FLOAT_EQ(r.rating[0], 4.5f);
  EXPECT_EQ(r.timestamp[0], 100);
  EXPECT_EQ(r.user[1], 0u);
  EXPECT_EQ(r.item[2], 0u);
  EXPECT_FLOAT_EQ(r.rating[2], 0.5f);
  EXPECT_EQ(rep.lines, 4u);
  EXPECT_EQ(rep.records, 3u);
  EXPECT_EQ(*r.users.find(10u), 1u);
  EXPECT_FALSE(r.users.find(11u).has_value());
}

// Lines of the common shape take a fast path; others (more decimals, long lines near the end of
// the input) take the strict one. Both must give the same values.
TEST(RatingsReader, FastAndStrictPathsAgree) {
  std::string text = "userId,movieId,rating,timestamp\n"
                     "1,2,4.5,964982703\n"        // fast: 10-digit time through the 8-digit step
                     "1,3,4.50,1234567890123\n"   // strict: two decimals; 13-digit time
                     "1,4,3.7,7\n"                // strict: a decimal that is not .0 or .5
                     "1,5,2,-86400\n"             // strict: a time before 1970
                     "1,6,5.0,099999999\n"        // fast: leading zero
                     "1,7,1,1\r\n";              // the last line, near the end: checked fast path
  auto r = cofi::parse_ratings(text, "ratings.csv", latest());
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r.rating.to_vector(), (std::vector<float>{4.5f, 4.5f, 3.7f, 2.0f, 5.0f, 1.0f}));
  EXPECT_EQ(r.timestamp.to_vector(),
            (std::vector<int64_t>{964982703, 1234567890123, 7, -86400, 99999999, 1}));
}

TEST(RatingsReader, MissingFieldNamesLineAndField) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,3.5,10\n1,3,4\n1,4,4,5\n"),
            "ratings.csv:3: field 'timestamp': expected 4 fields separated by \",\", found 3");
}

TEST(RatingsReader, ExtraFieldIsAnError) {
  EXPECT_THAT(error_of("userId,movieId,rating,timestamp\n1,2,3.5,10,9\n"),
              HasSubstr("ratings.csv:2: expected 4 fields separated by \",\", found 5"));
}

TEST(RatingsReader, NonNumericRating) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,abc,10\n"),
            "ratings.csv:2: field 'rating': expected a number, found \"abc\"");
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,4.5x,10\n"),
            "ratings.csv:2: field 'rating': expected a number, found \"4.5x\"");
}

TEST(RatingsReader, OutOfRangeRating) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,5.5,10\n"),
            "ratings.csv:2: field 'rating': rating 5.5 is out of range: expected 0.5 to 5");
  EXPECT_THAT(error_of("userId,movieId,rating,timestamp\n1,2,-1,10\n"), HasSubstr("rating -1 is out of range"));
}

TEST(RatingsReader, RatingsOffTheScaleStepAreRejected) {
  RatingsFormat whole = tab();
  whole.rating_step = 1.0f;
  EXPECT_EQ(error_of("1\t2\t4\t10\n1\t3\t3.5\t11\n", whole),
            "ratings.csv:2: field 'rating': rating 3.5 is not a multiple of 1 (this scale has whole stars)");
  EXPECT_EQ(error_of("1\t2\t4.0\t10\n1\t3\t5\t11\n", whole), "");
  RatingsFormat half = latest();
  half.rating_step = 0.5f;
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,4.5,10\n1,3,3.25,11\n", half),
            "ratings.csv:3: field 'rating': rating 3.25 is not a multiple of 0.5 (this scale has steps of that size)");
}

TEST(RatingsReader, NanAndInfinityAreRejected) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,nan,10\n"),
            "ratings.csv:2: field 'rating': the rating is not a finite number: \"nan\"");
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,inf,10\n"),
            "ratings.csv:2: field 'rating': the rating is not a finite number: \"inf\"");
  EXPECT_THAT(error_of("userId,movieId,rating,timestamp\n1,2,-Infinity,10\n"), HasSubstr("not a finite number"));
}

TEST(RatingsReader, EmptyFile) {
  EXPECT_EQ(error_of(""),
            "ratings.csv: the file is empty: expected a header line \"userId,movieId,rating,timestamp\" and "
            "ratings records (MovieLens ratings.csv)");
  EXPECT_THAT(error_of("\n\n", tab()), HasSubstr("ratings.csv: the file is empty"));
}

TEST(RatingsReader, HeaderOnly) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n"),
            "ratings.csv:1: the file has a header but no ratings records");
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp"),
            "ratings.csv:1: the file has a header but no ratings records");
}

TEST(RatingsReader, WrongHeader) {
  EXPECT_EQ(error_of("user,item,rating,ts\n1,2,3,4\n"),
            "ratings.csv:1: wrong header: expected \"userId,movieId,rating,timestamp\", found \"user,item,rating,ts\"");
  // A headerless file handed to a reader that expects one is caught by the header check too.
  EXPECT_THAT(error_of("1,2,3,4\n"), HasSubstr("wrong header"));
}

TEST(RatingsReader, TruncatedLastLine) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,3,4\n1,3,4"),
            "ratings.csv:3: field 'timestamp': expected 4 fields separated by \",\", found 3 "
            "(the last line has no line end: the file may be truncated)");
  // A complete last line without its line end is fine.
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,3,4\n1,3,4,5"), "");
}

TEST(RatingsReader, CrlfLineEndsAreAccepted) {
  ReadReport rep;
  auto r = cofi::parse_ratings("userId,movieId,rating,timestamp\r\n1,2,3.5,10\r\n1,3,4,11\r\n", "ratings.csv",
                               latest(), {}, &rep);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.timestamp[1], 11);
  EXPECT_TRUE(rep.had_crlf);
}

TEST(RatingsReader, Utf8BomIsSkipped) {
  ReadReport rep;
  auto r = cofi::parse_ratings("\xEF\xBB\xBFuserId,movieId,rating,timestamp\n1,2,3.5,10\n", "ratings.csv",
                               latest(), {}, &rep);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(rep.had_bom);
}

TEST(RatingsReader, InvalidUtf8InANumericFieldIsNamed) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n\xff" "1,2,3,4\n"),
            "ratings.csv:2: field 'userId': expected an integer id, found \"\\xff1\"");
}

TEST(RatingsReader, InvalidUtf8InAStringIdIsAnError) {
  RatingsFormat f;
  f.ids = cofi::IdKind::string;
  f.timestamp_column = -1;
  EXPECT_EQ(error_of("alice,m1,4\nb\xc3\x28,m2,3\n", f),
            "ratings.csv:2: field 'user': invalid UTF-8 in id \"b\\xc3(\"");
}

// Found by fuzz_ratings_generic: string ids of a skipped record stayed in the id maps.
TEST(RatingsReader, SkippedRecordsLeaveNoStringIdsBehind) {
  RatingsFormat f;
  f.ids = cofi::IdKind::string;
  f.timestamp_column = -1;
  ReadOptions o;
  o.skip_bad = true;
  for (const char* text : {"u,\xff,3\nv,j,4\n", "u,m,bad\nv,j,4\n"}) {
    auto r = cofi::parse_ratings(text, "ratings.csv", f, o);
    EXPECT_EQ(r.size(), 1u) << text;
    EXPECT_EQ(r.users.strings(), std::vector<std::string>{"v"}) << text;
    EXPECT_EQ(r.items.strings(), std::vector<std::string>{"j"}) << text;
  }
}

TEST(RatingsReader, IdsBeyond32Bits) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n4294967296,2,3,4\n"),
            "ratings.csv:2: field 'userId': does not fit in 32 bits (ids must be at most 4294967295), "
            "found \"4294967296\"");
  EXPECT_THAT(error_of("userId,movieId,rating,timestamp\n1,99999999999999999999999,3,4\n"),
              HasSubstr("field 'movieId': does not fit in 32 bits"));
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n4294967295,2,3,4\n"), "");
}

TEST(RatingsReader, NegativeAndEmptyIds) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n-1,2,3,4\n"),
            "ratings.csv:2: field 'userId': expected a non-negative integer id, found \"-1\"");
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,,3,4\n"), "ratings.csv:2: field 'movieId': missing value");
}

TEST(RatingsReader, BadTimestamp) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,3,yesterday\n"),
            "ratings.csv:2: field 'timestamp': expected an integer timestamp, found \"yesterday\"");
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,2,3,\n"),
            "ratings.csv:2: field 'timestamp': missing value: expected a timestamp");
}

TEST(RatingsReader, DuplicatesAreAnErrorByDefaultWithCountAndFirstPosition) {
  std::string text = "userId,movieId,rating,timestamp\n1,2,3,10\n1,3,4,11\n\n1,2,5,12\n2,2,1,13\n1,3,2,14\n";
  EXPECT_EQ(error_of(text),
            "ratings.csv:5: 2 duplicate (user, item) pairs; the first: user 1, item 2 repeats line 2 "
            "(choose a policy: --duplicates keep-last or --duplicates mean)");
}

TEST(RatingsReader, DuplicatesKeepLastAndMean) {
  std::string text = "userId,movieId,rating,timestamp\n1,2,3,10\n1,3,4,11\n1,2,5,12\n2,2,1,13\n1,2,4,9\n";
  ReadOptions o;
  o.duplicates = DuplicatePolicy::keep_last;
  ReadReport rep;
  auto last = cofi::parse_ratings(text, "ratings.csv", latest(), o, &rep);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(rep.duplicates, 2u);
  EXPECT_FLOAT_EQ(last.rating[0], 4.0f);  // (1,2): the last of 3, 5, 4
  EXPECT_EQ(last.timestamp[0], 9);
  o.duplicates = DuplicatePolicy::mean;
  auto mean = cofi::parse_ratings(text, "ratings.csv", latest(), o);
  ASSERT_EQ(mean.size(), 3u);
  EXPECT_FLOAT_EQ(mean.rating[0], 4.0f);  // (3 + 5 + 4) / 3
  EXPECT_EQ(mean.timestamp[0], 12);       // the latest
  EXPECT_FLOAT_EQ(mean.rating[1], 4.0f);  // (1,3) untouched
}

TEST(RatingsReader, DuplicatesFoundWhenRecordsAreNotGroupedByUser) {
  std::string text = "userId,movieId,rating,timestamp\n1,2,3,10\n2,3,4,11\n1,5,5,12\n2,3,1,13\n";
  EXPECT_THAT(error_of(text), HasSubstr("ratings.csv:5: 1 duplicate (user, item) pair; the first: user 2, item 3 "
                                        "repeats line 3"));
}

TEST(RatingsReader, SkipBadKeepsGoingAndReportsWhere) {
  std::string text = "userId,movieId,rating,timestamp\n1,2,3,10\n1,x,4,11\n1,4,4,12\n1,5,9,13\n1,6,2,14\n";
  ReadOptions o;
  o.skip_bad = true;
  ReadReport rep;
  auto r = cofi::parse_ratings(text, "ratings.csv", latest(), o, &rep);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(rep.skipped, 2u);
  ASSERT_EQ(rep.first_skipped.size(), 2u);
  EXPECT_EQ(rep.first_skipped[0], "ratings.csv:3: field 'movieId': expected an integer id, found \"x\"");
  EXPECT_THAT(rep.first_skipped[1], HasSubstr("ratings.csv:5: field 'rating': rating 9 is out of range"));
  // Without the flag the first bad record stops the read.
  EXPECT_EQ(error_of(text), "ratings.csv:3: field 'movieId': expected an integer id, found \"x\"");
}

TEST(RatingsReader, SkipBadWithNothingGoodIsStillAnError) {
  ReadOptions o;
  o.skip_bad = true;
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n1,x,4,11\n", latest(), o),
            "ratings.csv: every record is malformed (1 skipped); the first: ratings.csv:2: field 'movieId': expected "
            "an integer id, found \"x\"");
}

TEST(RatingsReader, BlankLinesAreSkippedAndLineNumbersStayRight) {
  EXPECT_EQ(error_of("userId,movieId,rating,timestamp\n\n1,2,3,4\n\n\n1,3,x,5\n"),
            "ratings.csv:6: field 'rating': expected a number, found \"x\"");
}

TEST(RatingsReader, TabAndDoubleColonDelimiters) {
  auto r = cofi::parse_ratings("196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "u.data", tab());
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.items.raw(r.item[0]), "242");
  RatingsFormat dat = tab();
  dat.delimiter = "::";
  auto d = cofi::parse_ratings("1::1193::5::978300760\n1::661::3::978302109\n", "ratings.dat", dat);
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.timestamp[1], 978302109);
  EXPECT_EQ(error_of("1::1193:5::978300760\n", dat),
            "ratings.csv:1: field 'timestamp': expected 4 fields separated by \"::\", found 3");
}

TEST(RatingsReader, GenericColumnsAndAutomaticStringIds) {
  RatingsFormat f;
  f.header = true;
  f.ids = cofi::IdKind::automatic;
  f.user_column = 2;
  f.item_column = 0;
  f.rating_column = 1;
  f.timestamp_column = -1;
  auto r = cofi::parse_ratings("isbn,score,reader,extra\nb-1,4,zoe,x\nb-2,2,adam,y\nb-1,5,adam,z\n", "books.csv", f);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.users.kind(), cofi::IdMap::Kind::string);
  EXPECT_EQ(r.users.raw(0), "adam");
  EXPECT_EQ(r.users.raw(r.user[0]), "zoe");
  EXPECT_EQ(r.items.raw(r.item[1]), "b-2");
  EXPECT_FALSE(r.has_timestamps());
  EXPECT_EQ(*r.items.find(std::string_view("b-1")), 0u);
}

// A file larger than one parse chunk (8 MiB), so that several threads share it: the result must
// equal the single-thread parse and errors in late chunks must name the right line.
class LargeInput : public ::testing::Test {
 protected:
  static std::string make(size_t lines, size_t bad_line = 0) {
    std::mt19937 rng(7);
    std::string s = "userId,movieId,rating,timestamp\n";
    for (size_t i = 0; i < lines; ++i) {
      // Each user rates distinct items: user i/100, item (i%100)*7 + user%7.
      size_t u = i / 100, it = (i % 100) * 7 + u % 7;
      float r = static_cast<float>(1 + rng() % 10) / 2.0f;
      if (i + 2 == bad_line) {
        s += std::to_string(u) + "," + std::to_string(it) + ",bad," + std::to_string(1000 + i) + "\n";
        continue;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%zu,%zu,%.1f,%zu\n", u, it, static_cast<double>(r), 1000 + i);
      s += buf;
    }
    return s;
  }
};

TEST_F(LargeInput, ThreadCountDoesNotChangeTheResult) {
  std::string text = make(600000);
  ASSERT_GT(text.size(), size_t{9} << 20);
  ReadOptions one, two;
  one.threads = 1;
  two.threads = 4;
  auto a = cofi::parse_ratings(text, "big.csv", latest(), one);
  auto b = cofi::parse_ratings(text, "big.csv", latest(), two);
  ASSERT_EQ(a.size(), 600000u);
  EXPECT_EQ(a.user.to_vector(), b.user.to_vector());
  EXPECT_EQ(a.item.to_vector(), b.item.to_vector());
  EXPECT_EQ(a.rating.to_vector(), b.rating.to_vector());
  EXPECT_EQ(a.timestamp.to_vector(), b.timestamp.to_vector());
  EXPECT_EQ(a.users, b.users);
  EXPECT_EQ(a.n_users(), 6000u);
}

TEST_F(LargeInput, ErrorInALateChunkNamesItsLine) {
  std::string text = make(600000, 555555);
  ReadOptions o;
  o.threads = 2;
  EXPECT_EQ(error_of(text, latest(), o), "ratings.csv:555555: field 'rating': expected a number, found \"bad\"");
}

TEST(RatingsReader, ReadsFromAFileAndNamesIt) {
  auto dir = std::filesystem::temp_directory_path() / "cofi-reader-test";
  std::filesystem::create_directories(dir);
  auto path = (dir / "r.csv").string();
  {
    std::ofstream(path) << "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,zz,5\n";
  }
  try {
    cofi::read_ratings(path, latest());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3: field 'rating': expected a number, found \"zz\"");
    EXPECT_EQ(e.where().line, 3u);
    EXPECT_EQ(e.where().field, "rating");
  }
  EXPECT_THAT(error_of("x"), HasSubstr("wrong header"));
  try {
    cofi::read_ratings((dir / "missing.csv").string(), latest());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.csv: cannot open: No such file or directory"));
  }
  std::filesystem::remove_all(dir);
}

TEST(DuplicatePolicyText, RoundTripsAndRejectsUnknown) {
  for (auto p : {DuplicatePolicy::error, DuplicatePolicy::keep_last, DuplicatePolicy::mean})
    EXPECT_EQ(cofi::parse_duplicate_policy(cofi::to_string(p)), p);
  EXPECT_THROW(cofi::parse_duplicate_policy("first"), Error);
}

}  // namespace
