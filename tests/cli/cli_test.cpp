// The cofi binary end to end: help generated from the command table, exit codes (0 ok, 1 a
// cofi::Error as "cofi: error: MESSAGE" on stderr, 2 a bad command line), `data info` on real and
// malformed data, `data split` output files, `data list` and `data fetch` errors.
// The binary is $COFI_CLI and the data cache $COFI_DATA_DIR (ctest sets both); each run's stdout
// and stderr go to files of their own so that the two can be checked apart.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace cofi::cli_test {
namespace {

size_t count_lines(const fs::path& path) {
  std::string s = read_file(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Every command of the table in tools/cofi/commands.cpp.
const std::vector<std::string> kCommands{"data info", "data split", "data fetch", "data list", "train", "lr-find",
                                         "eval", "inspect"};

// A ratings.csv whose line 3 has a non-numeric rating.
const char* kBadRatings =
    "userId,movieId,rating,timestamp\n"
    "1,10,4.0,964982703\n"
    "1,20,abc,964982224\n"
    "2,10,3.5,964982931\n";

// A ratings.csv in which user 1 rates item 10 twice (lines 2 and 4).
const char* kDuplicateRatings =
    "userId,movieId,rating,timestamp\n"
    "1,10,4.0,964982703\n"
    "2,10,3.5,964982931\n"
    "1,10,2.0,964982999\n";

// ---- help and command-line errors ----------------------------------------------------------

TEST(CliHelp, HelpListsEveryCommand) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"help"}, std::vector<std::string>{"--help"}}) {
    Outcome r = cofi(args);
    EXPECT_EQ(r.code, 0) << r;
    for (const auto& c : kCommands) EXPECT_THAT(r.out, HasSubstr("cofi " + c)) << args[0];
  }
}

TEST(CliHelp, CommandHelpShowsItsOptions) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"help", "data", "info"}, std::vector<std::string>{"data", "info", "--help"}}) {
    Outcome r = cofi(args);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("--duplicates")) << r;
    EXPECT_THAT(r.out, HasSubstr("--skip-bad")) << r;
    EXPECT_THAT(r.out, HasSubstr("--top")) << r;
    EXPECT_THAT(r.out, HasSubstr("DATA")) << r;
  }
  Outcome split = cofi({"help", "data", "split"});
  EXPECT_EQ(split.code, 0) << split;
  EXPECT_THAT(split.out, HasSubstr("--valid-pct"));
  EXPECT_THAT(split.out, HasSubstr("--method"));
}

TEST(CliHelp, NoCommandExits2) {
  Outcome r = cofi({});
  EXPECT_EQ(r.code, 2) << r;
}

TEST(CliHelp, UnknownCommandExits2) {
  Outcome r = cofi({"frobnicate"});
  EXPECT_EQ(r.code, 2) << r;
  Outcome sub = cofi({"data", "frobnicate"});
  EXPECT_EQ(sub.code, 2) << sub;
  Outcome help = cofi({"help", "frobnicate"});
  EXPECT_EQ(help.code, 2) << help;
  EXPECT_THAT(help.err, HasSubstr("frobnicate"));
}

TEST(CliHelp, BadCommandLineExits2) {
  Outcome missing = cofi({"data", "info"});  // DATA is required
  EXPECT_EQ(missing.code, 2) << missing;
  Outcome extra = cofi({"data", "info", "ml-100k", "--no-such-option"});
  EXPECT_EQ(extra.code, 2) << extra;
}

// ---- data info ---------------------------------------------------------------------------

TEST(CliDataInfo, MlLatestSmall) {
  REQUIRE_DATA("ml-latest-small");
  Outcome r = cofi({"data", "info", "ml-latest-small"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("ratings     100,836\n"));
  EXPECT_THAT(r.out, HasSubstr("users       610\n"));
  EXPECT_THAT(r.out, HasSubstr("9,724 rated of 9,742"));
  EXPECT_THAT(r.out, HasSubstr("Forrest Gump"));
  EXPECT_THAT(r.out, HasSubstr("(ml-latest layout)"));
  EXPECT_EQ(r.err, "");
}

TEST(CliDataInfo, Ml100k) {
  REQUIRE_DATA("ml-100k");
  Outcome r = cofi({"data", "info", "ml-100k"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("ratings     100,000\n"));
  EXPECT_THAT(r.out, HasSubstr("users       943\n"));
  EXPECT_THAT(r.out, HasSubstr("1,682 rated of 1,682"));
  EXPECT_THAT(r.out, HasSubstr("u1, u2, u3, u4, u5, ua, ub"));
  EXPECT_EQ(r.err, "");
}

TEST(CliDataInfo, MalformedRecordExits1WithItsPlace) {
  TempDir tmp;
  const fs::path file = tmp.path() / "ratings.csv";
  write_file(file, kBadRatings);
  Outcome r = cofi({"data", "info", file.string()});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: " + file.string() + ":3: field 'rating': expected a number, found \"abc\"\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliDataInfo, SkipBadReportsTheSkippedRecord) {
  TempDir tmp;
  const fs::path file = tmp.path() / "ratings.csv";
  write_file(file, kBadRatings);
  Outcome r = cofi({"data", "info", file.string(), "--skip-bad"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("skipped     1 malformed records"));
  EXPECT_THAT(r.out, HasSubstr(file.string() + ":3: field 'rating'"));
  EXPECT_THAT(r.out, HasSubstr("ratings     2\n"));
}

TEST(CliDataInfo, DuplicatesNeedAPolicy) {
  TempDir tmp;
  const fs::path file = tmp.path() / "ratings.csv";
  write_file(file, kDuplicateRatings);
  Outcome r = cofi({"data", "info", file.string()});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, StartsWith("cofi: error: " + file.string() + ":4: "));
  EXPECT_THAT(r.err, HasSubstr("duplicate"));
  EXPECT_THAT(r.err, HasSubstr("--duplicates keep-last"));

  Outcome mean = cofi({"data", "info", file.string(), "--duplicates", "mean"});
  ASSERT_EQ(mean.code, 0) << mean;
  EXPECT_THAT(mean.out, HasSubstr("ratings     2\n"));
  EXPECT_THAT(mean.out, HasSubstr("duplicates  1 repeated pairs merged (mean)"));
  EXPECT_THAT(mean.out, HasSubstr("mean 3.250"));  // (4 + 2) / 2 and 3.5

  Outcome bad_policy = cofi({"data", "info", file.string(), "--duplicates", "sometimes"});
  EXPECT_EQ(bad_policy.code, 1) << bad_policy;
  EXPECT_THAT(bad_policy.err, HasSubstr("keep-last"));
}

TEST(CliDataInfo, BadThreadsExits1NamingTheOption) {
  REQUIRE_DATA("ml-100k");
  Outcome r = cofi({"data", "info", "ml-100k", "--threads", "x"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, StartsWith("cofi: error: "));
  EXPECT_THAT(r.err, HasSubstr("--threads"));
}

TEST(CliDataInfo, UnknownDataSetSaysHowToFixIt) {
  Outcome r = cofi({"data", "info", "no-such-dataset"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, StartsWith("cofi: error: unknown data set 'no-such-dataset'"));
  EXPECT_THAT(r.err, HasSubstr("ml-latest-small"));
  EXPECT_THAT(r.err, HasSubstr("a path to a folder or a ratings file also works"));

  // A known data set not yet downloaded: the message names the fetch command.
  if (!fs::exists(data_dir() / "ml-25m")) {
    Outcome known = cofi({"data", "info", "ml-25m"});
    EXPECT_EQ(known.code, 1) << known;
    EXPECT_THAT(known.err, HasSubstr("cofi data fetch ml-25m"));
  }
}

// ---- data split --------------------------------------------------------------------------

TEST(CliDataSplit, Predefined) {
  REQUIRE_DATA("ml-100k");
  TempDir tmp;
  const fs::path out = tmp.path() / "u1";
  Outcome r = cofi({"data", "split", "ml-100k", "--method", "predefined", "--name", "u1", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(count_lines(out / "train.csv"), 80001u);
  EXPECT_EQ(count_lines(out / "valid.csv"), 20001u);
  EXPECT_THAT(read_file(out / "train.csv"), StartsWith("userId,movieId,rating,timestamp\n"));
  // u1.test's first record.
  EXPECT_THAT(read_file(out / "valid.csv"), StartsWith("userId,movieId,rating,timestamp\n1,6,5,887431973\n"));

  Outcome bad = cofi({"data", "split", "ml-100k", "--method", "predefined", "--name", "u9"});
  EXPECT_EQ(bad.code, 1) << bad;
  EXPECT_THAT(bad.err, HasSubstr("u1, u2, u3, u4, u5, ua, ub"));
}

TEST(CliDataSplit, RandomIsDeterministicForASeed) {
  REQUIRE_DATA("ml-100k");
  TempDir tmp;
  auto split = [&](const std::string& seed, const std::string& name) {
    Outcome r = cofi({"data", "split", "ml-100k", "--method", "random", "--valid-pct", "0.2", "--seed", seed, "--out",
                  (tmp.path() / name).string()});
    EXPECT_EQ(r.code, 0) << r;
    return tmp.path() / name;
  };
  fs::path a = split("42", "a"), b = split("42", "b"), c = split("43", "c");
  EXPECT_EQ(count_lines(a / "train.csv"), 80001u);
  EXPECT_EQ(count_lines(a / "valid.csv"), 20001u);
  EXPECT_TRUE(read_file(a / "train.csv") == read_file(b / "train.csv"));
  EXPECT_TRUE(read_file(a / "valid.csv") == read_file(b / "valid.csv"));
  EXPECT_FALSE(read_file(a / "valid.csv") == read_file(c / "valid.csv"));

  // The written files read back as a data set (detected by their header).
  Outcome info = cofi({"data", "info", (a / "valid.csv").string()});
  EXPECT_EQ(info.code, 0) << info;
  EXPECT_THAT(info.out, HasSubstr("ratings     20,000\n"));
}

TEST(CliDataSplit, KFoldWritesEveryFold) {
  REQUIRE_DATA("ml-100k");
  TempDir tmp;
  Outcome r = cofi({"data", "split", "ml-100k", "--method", "kfold", "--k", "3", "--out", tmp.path().string()});
  ASSERT_EQ(r.code, 0) << r;
  size_t valid_total = 0;
  for (int f = 1; f <= 3; ++f) {
    fs::path dir = tmp.path() / ("fold-" + std::to_string(f));
    ASSERT_TRUE(fs::is_regular_file(dir / "train.csv")) << dir;
    ASSERT_TRUE(fs::is_regular_file(dir / "valid.csv")) << dir;
    size_t train = count_lines(dir / "train.csv") - 1, valid = count_lines(dir / "valid.csv") - 1;
    EXPECT_EQ(train + valid, 100000u) << dir;
    valid_total += valid;
  }
  EXPECT_EQ(valid_total, 100000u) << "every rating is in exactly one fold's validation set";
  EXPECT_FALSE(fs::exists(tmp.path() / "fold-4"));
}

TEST(CliDataSplit, TemporalNeedsCutoffOrLastN) {
  REQUIRE_DATA("ml-100k");
  TempDir tmp;
  Outcome r = cofi({"data", "split", "ml-100k", "--method", "temporal", "--out", tmp.path().string()});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: --method temporal needs exactly one of --cutoff TIME or --last-n N\n");
  EXPECT_FALSE(fs::exists(tmp.path() / "train.csv"));

  Outcome last = cofi({"data", "split", "ml-100k", "--method", "temporal", "--last-n", "1"});
  EXPECT_EQ(last.code, 0) << last;
  EXPECT_THAT(last.out, HasSubstr("valid 943 "));  // one rating of each of the 943 users
}

TEST(CliDataSplit, UnknownMethodExits1) {
  REQUIRE_DATA("ml-100k");
  Outcome r = cofi({"data", "split", "ml-100k", "--method", "sideways"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("option --method"));
}

// ---- data list and data fetch ------------------------------------------------------------

// The line of `text` that lists data set `name` ("  NAME  ..."), or "" when there is none.
std::string line_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    if (words >> first && first == name) return line;
  }
  return {};
}

TEST(CliDataList, ShowsWhatIsCached) {
  REQUIRE_DATA("ml-latest-small");
  Outcome r = cofi({"data", "list"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("data cache: " + data_dir().string()));
  std::string small = line_of(r.out, "ml-latest-small");
  EXPECT_THAT(small, HasSubstr(" cached ")) << r;
  if (!fs::exists(data_dir() / "ml-25m")) {
    std::string big = line_of(r.out, "ml-25m");
    ASSERT_FALSE(big.empty()) << r;
    EXPECT_THAT(big, Not(HasSubstr("cached"))) << r;
  }
}

TEST(CliDataFetch, UnknownNameListsKnownNames) {
  Outcome r = cofi({"data", "fetch", "nope"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, StartsWith("cofi: error: "));
  EXPECT_THAT(r.err, HasSubstr("'nope'"));
  EXPECT_THAT(r.err, HasSubstr("ml-latest-small"));
  EXPECT_THAT(r.err, HasSubstr("ml-100k"));
  EXPECT_THAT(r.err, HasSubstr("ml-32m"));
}

}  // namespace
}  // namespace cofi::cli_test
