// `cofi recommend`, `cofi similar`, `cofi explain` and `cofi eval --ranking` end to end on
// ml-100k: a model trained once for the suite on all of u.data (--valid-pct 0, so its history is
// every rating of u.data) and checked against the data files read here: no rated item is
// recommended, genre and exclusion filters hold, titles and genres are u.item's, a batch matches
// the single-user answer, the exact message for each bad input, and the ranking report's counts
// and popularity baseline recomputed from u1.base and u1.test.
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
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

// ---- ml-100k, read here ------------------------------------------------------------------------

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.push_back("");
  return out;
}

struct Ratings100k {
  std::map<int, std::set<int>> rated;    // user -> items
  std::map<int, int> count;              // item -> ratings
  std::vector<std::array<int, 3>> rows;  // user, item, rating in file order
};

Ratings100k read_ratings(const fs::path& path) {
  Ratings100k r;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto f = split(line, '\t');
    if (f.size() < 3) continue;
    const int u = std::stoi(f[0]), i = std::stoi(f[1]), v = std::stoi(f[2]);
    r.rated[u].insert(i);
    ++r.count[i];
    r.rows.push_back({u, i, v});
  }
  return r;
}

struct Ml100k {
  Ratings100k all;
  std::map<int, std::string> title;
  std::map<int, std::string> genre_text;  // "Animation|Children's|Comedy"
  std::map<int, std::set<std::string>> genres;
  std::vector<std::string> genre_names;
};

const Ml100k& ml100k() {
  static const Ml100k data = [] {
    Ml100k d;
    const fs::path dir = data_dir() / "ml-100k";
    d.all = read_ratings(dir / "u.data");
    std::ifstream g(dir / "u.genre");
    for (std::string line; std::getline(g, line);)
      if (!line.empty()) d.genre_names.push_back(split(line, '|')[0]);
    std::ifstream items(dir / "u.item");
    for (std::string line; std::getline(items, line);) {
      auto f = split(line, '|');
      if (f.size() < 5 + d.genre_names.size()) continue;
      const int id = std::stoi(f[0]);
      d.title[id] = f[1];
      std::string text;
      for (size_t k = 0; k < d.genre_names.size(); ++k)
        if (f[5 + k] == "1") {
          d.genres[id].insert(d.genre_names[k]);
          text += (text.empty() ? "" : "|") + d.genre_names[k];
        }
      d.genre_text[id] = text;
    }
    return d;
  }();
  return data;
}

// ---- output parsing ------------------------------------------------------------------------------

// One row of a ranked listing: "RANK  VALUE  ID  REST".
struct Row {
  int rank = 0;
  double value = 0;
  int id = 0;
  std::string rest;
};

// The rows after the header line that starts with "rank".
std::vector<Row> rows_of(const std::string& out) {
  std::vector<Row> rows;
  std::istringstream in(out);
  bool table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("rank ")) {
      table = true;
      continue;
    }
    if (!table || line.empty() || line[0] == ' ') continue;
    std::istringstream words(line);
    Row r;
    words >> r.rank >> r.value >> r.id;
    std::getline(words, r.rest);
    r.rest.erase(0, r.rest.find_first_not_of(' '));
    rows.push_back(r);
  }
  return rows;
}

std::vector<int> ids_of(const std::vector<Row>& rows) {
  std::vector<int> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string with_commas(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Ranks 1..n, values never increasing.
void expect_ranked(const std::vector<Row>& rows, size_t n, const std::string& what) {
  ASSERT_EQ(rows.size(), n) << what;
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_EQ(rows[k].rank, static_cast<int>(k + 1)) << what;
    if (k > 0) {
      EXPECT_GE(rows[k - 1].value, rows[k].value) << what << " rank " << k + 1;
    }
  }
  const std::vector<int> ids = ids_of(rows);
  const std::set<int> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), rows.size()) << what << ": an item twice";
}

// ---- the suite's model -----------------------------------------------------------------------------

class RecommendCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::is_directory(data_dir() / "ml-100k")) return;
    dir_ = std::make_unique<TempDir>();
    model_ = dir_->file("m.cofi");
    train_ =
        cofi({"train", "--data", "ml-100k", "--valid-pct", "0", "--epochs", "1", "--quiet", "--out", model_});
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    REQUIRE_DATA("ml-100k");
    ASSERT_EQ(train_.code, 0) << train_;
  }
  static Outcome run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--model", model_});
    return cofi(args);
  }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static std::unique_ptr<TempDir> dir_;
  static std::string model_;
  static Outcome train_;
};

std::unique_ptr<TempDir> RecommendCli::dir_;
std::string RecommendCli::model_;
Outcome RecommendCli::train_;

TEST_F(RecommendCli, ForAUserLeavesOutWhatTheyRated) {
  const Ml100k& d = ml100k();
  for (int user : {1, 405, 943}) {
    Outcome r = run({"recommend", "--user", std::to_string(user)});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(first_line(r.out), "top 10 for user " + std::to_string(user) + " (" +
                                     with_commas(d.all.rated.at(user).size()) + " ratings in training)");
    EXPECT_THAT(r.out, HasSubstr("\nrank  predicted item     title  [genres]\n"));
    const auto rows = rows_of(r.out);
    expect_ranked(rows, 10, "user " + std::to_string(user));
    for (const Row& row : rows) {
      EXPECT_FALSE(d.all.rated.at(user).count(row.id)) << "user " << user << " rated item " << row.id;
      // The title and genres are u.item's.
      EXPECT_EQ(row.rest, d.title.at(row.id) + "  [" + d.genre_text.at(row.id) + "]") << row.id;
      EXPECT_GE(row.value, 0.5);  // y_range auto: 0.5 to 5.5
      EXPECT_LE(row.value, 5.5);
    }
  }
}

TEST_F(RecommendCli, IncludeRatedAddsRatedItemsInTheirPlace) {
  const std::set<int>& rated = ml100k().all.rated.at(1);
  Outcome without = run({"recommend", "--user", "1"});
  Outcome with = run({"recommend", "--user", "1", "--include-rated", "--top", "20"});
  ASSERT_EQ(without.code, 0) << without;
  ASSERT_EQ(with.code, 0) << with;
  const auto a = rows_of(without.out), b = rows_of(with.out);
  expect_ranked(b, 20, "--include-rated");
  // Leaving out the rated items of the longer list gives the start of the shorter one.
  std::vector<int> unrated;
  size_t n_rated = 0;
  for (const Row& row : b) {
    if (rated.count(row.id))
      ++n_rated;
    else
      unrated.push_back(row.id);
  }
  EXPECT_GT(n_rated, 0u) << "user 1 rated 272 items, among them the favourites a model learns first";
  std::vector<int> start = ids_of(a);
  start.resize(std::min(unrated.size(), start.size()));
  unrated.resize(start.size());
  EXPECT_EQ(unrated, start);
}

TEST_F(RecommendCli, GenreFilter) {
  const Ml100k& d = ml100k();
  Outcome r = run({"recommend", "--user", "1", "--genre", "Comedy", "--top", "15"});
  ASSERT_EQ(r.code, 0) << r;
  const auto rows = rows_of(r.out);
  expect_ranked(rows, 15, "comedies");
  for (const Row& row : rows) {
    EXPECT_TRUE(d.genres.count(row.id) && d.genres.at(row.id).count("Comedy")) << row.id << " " << row.rest;
    EXPECT_FALSE(d.all.rated.at(1).count(row.id)) << row.id;
  }
  // Genre names are matched whatever their case.
  Outcome lower = run({"recommend", "--user", "1", "--genre", "cOMEDY", "--top", "15"});
  ASSERT_EQ(lower.code, 0) << lower;
  EXPECT_EQ(lower.out, r.out);
}

TEST_F(RecommendCli, UnknownGenreListsTheGenres) {
  Outcome r = run({"recommend", "--user", "1", "--genre", "Space Opera"});
  EXPECT_EQ(r.code, 1) << r;
  std::string names;
  for (const auto& g : ml100k().genre_names) names += (names.empty() ? "" : ", ") + g;
  EXPECT_EQ(r.err,
            "cofi: error: --genre: unknown genre \"Space Opera\" (the model's genres: " + names + ")\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(RecommendCli, ExcludeFile) {
  Outcome base = run({"recommend", "--user", "1"});
  ASSERT_EQ(base.code, 0) << base;
  const std::vector<int> before = ids_of(rows_of(base.out));
  ASSERT_EQ(before.size(), 10u);
  // A header, a comment, two of the listed items (one as a CSV row), an id the model lacks.
  const std::string list = file("exclude.txt");
  write_file(list, "item\n# the first and third\n" + std::to_string(before[0]) + "\n" +
                       std::to_string(before[2]) + ",whatever\n99999\n");
  Outcome r = run({"recommend", "--user", "1", "--exclude", list});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "note: 1 ids in " + list + " are not among the model's items\n");
  const std::vector<int> after = ids_of(rows_of(r.out));
  ASSERT_EQ(after.size(), 10u);
  std::vector<int> rest{before[1]};
  rest.insert(rest.end(), before.begin() + 3, before.end());
  EXPECT_EQ(std::vector<int>(after.begin(), after.begin() + 8), rest);
  for (int id : after) {
    EXPECT_NE(id, before[0]);
    EXPECT_NE(id, before[2]);
  }
}

TEST_F(RecommendCli, NewUserFromRatings) {
  Outcome r = run({"recommend", "--rate", "1:5,50:4"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(first_line(r.out), StartsWith("top 10 for a new user with 2 ratings (fold-in: ")) << r;
  const auto rows = rows_of(r.out);
  expect_ranked(rows, 10, "new user");
  for (const Row& row : rows) {
    EXPECT_NE(row.id, 1);
    EXPECT_NE(row.id, 50);
  }
  // A repeated item keeps its last rating: one rating, and the same answer as giving it once.
  Outcome twice = run({"recommend", "--rate", "1:1,1:5"});
  Outcome once = run({"recommend", "--rate", "1:5"});
  ASSERT_EQ(twice.code, 0) << twice;
  ASSERT_EQ(once.code, 0) << once;
  EXPECT_THAT(first_line(twice.out), StartsWith("top 10 for a new user with 1 ratings (fold-in: "));
  EXPECT_EQ(ids_of(rows_of(twice.out)), ids_of(rows_of(once.out)));
  // The same from a file (a header allowed).
  const std::string ratings = file("ratings.csv");
  write_file(ratings, "item,rating\n1,5\n50,4\n");
  Outcome from_file = run({"recommend", "--ratings-file", ratings});
  ASSERT_EQ(from_file.code, 0) << from_file;
  EXPECT_EQ(ids_of(rows_of(from_file.out)), ids_of(rows));
}

TEST_F(RecommendCli, BadRatingsOfANewUser) {
  auto err = [&](const std::string& rate) {
    Outcome r = run({"recommend", "--rate", rate});
    EXPECT_EQ(r.code, 1) << r;
    EXPECT_EQ(r.out, "");
    return r.err;
  };
  EXPECT_EQ(err("1:5,50-4"), "cofi: error: option --rate: pair 2 \"50-4\" is not ITEM:RATING\n");
  EXPECT_EQ(err("1:five"), "cofi: error: option --rate: pair 1: rating \"five\" is not a number\n");
  EXPECT_EQ(err("1:4.5x"), "cofi: error: option --rate: pair 1: rating \"4.5x\" is not a number\n");
  EXPECT_EQ(err("1:inf"), "cofi: error: option --rate: pair 1: rating is not finite\n");
  EXPECT_EQ(err("1:5,99999:4"),
            "cofi: error: item \"99999\" is not in the model (its 1,682 item ids run from 1 to 1682)\n");
}

TEST_F(RecommendCli, UnknownUserAndModes) {
  Outcome r = run({"recommend", "--user", "944"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: user \"944\" is not in the model (its 943 user ids run from 1 to 943)\n");
  const std::string modes =
      "cofi: error: give one of --user ID, --users all|FILE, or --rate/--ratings-file/--attributes for a new user\n";
  r = run({"recommend"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, modes);
  r = run({"recommend", "--user", "1", "--rate", "1:5"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, modes);
}

TEST_F(RecommendCli, EveryUserIntoACsv) {
  const Ml100k& d = ml100k();
  const std::string out = file("recs.csv");
  Outcome r = run({"recommend", "--users", "all", "--out", out, "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, StartsWith("top 10 for 943 users in ")) << r;
  EXPECT_THAT(r.out, HasSubstr("written to " + out + "\n")) << r;
  std::istringstream csv(read_file(out));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "user,rank,item,prediction,title");
  std::map<int, std::vector<int>> items_of;
  std::map<int, std::vector<double>> predictions_of;
  size_t lines = 0;
  while (std::getline(csv, line)) {
    ++lines;
    auto f = split(line, ',');
    ASSERT_GE(f.size(), 5u) << line;
    const int user = std::stoi(f[0]), rank = std::stoi(f[1]), item = std::stoi(f[2]);
    EXPECT_EQ(rank, static_cast<int>(items_of[user].size()) + 1) << line;
    EXPECT_FALSE(d.all.rated.at(user).count(item)) << "user " << user << " rated " << item;
    items_of[user].push_back(item);
    predictions_of[user].push_back(std::stod(f[3]));
    // The title, quoted when it holds a comma.
    const std::string& t = d.title.at(item);
    std::string field = t;
    if (t.find_first_of(",\"") != std::string::npos) {
      field = "\"";
      for (char c : t) field += c == '"' ? std::string("\"\"") : std::string(1, c);
      field += "\"";
    }
    EXPECT_TRUE(line.ends_with("," + field)) << line;
  }
  EXPECT_EQ(lines, 9430u);
  EXPECT_EQ(items_of.size(), 943u);
  for (const auto& [user, items] : items_of) EXPECT_EQ(items.size(), 10u) << user;

  // User 1's rows are the single-user answer (printed there to 2 decimals, here to 4).
  Outcome one = run({"recommend", "--user", "1"});
  ASSERT_EQ(one.code, 0) << one;
  const auto rows = rows_of(one.out);
  EXPECT_EQ(items_of[1], ids_of(rows));
  for (size_t k = 0; k < rows.size() && k < predictions_of[1].size(); ++k)
    EXPECT_NEAR(predictions_of[1][k], rows[k].value, 0.005 + 1e-9);
}

TEST_F(RecommendCli, UsersFromAFileToStdout) {
  const std::string users = file("users.txt");
  write_file(users, "user\n5\n1\n");
  Outcome r = run({"recommend", "--users", users, "--top", "3"});
  ASSERT_EQ(r.code, 0) << r;
  std::istringstream csv(r.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 7u) << r;
  EXPECT_EQ(lines[0], "user,rank,item,prediction,title");
  for (int k = 0; k < 3; ++k) {
    EXPECT_THAT(lines[1 + k], StartsWith("5," + std::to_string(k + 1) + ","));
    EXPECT_THAT(lines[4 + k], StartsWith("1," + std::to_string(k + 1) + ","));
  }
  write_file(users, "5\n99999\n");
  r = run({"recommend", "--users", users});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("user \"99999\" is not in the model")) << r;
}

// ---- similar -------------------------------------------------------------------------------------

TEST_F(RecommendCli, SimilarToAnItemByTitle) {
  const Ml100k& d = ml100k();
  Outcome r = run({"similar", "--item", "toy story"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(first_line(r.out),
            "items most like Toy Story (1995) (item 1; cosine similarity of item factors)");
  const auto rows = rows_of(r.out);
  expect_ranked(rows, 10, "similar to Toy Story");
  for (const Row& row : rows) {
    EXPECT_NE(row.id, 1);
    EXPECT_LE(row.value, 1.0);
    EXPECT_GE(row.value, -1.0);
    EXPECT_GE(d.all.count.at(row.id), 20) << "--min-ratings 20 by default: " << row.id;
    EXPECT_EQ(row.rest, d.title.at(row.id) + "  [" + d.genre_text.at(row.id) + "]");
  }
  // The same item by another case and by id.
  Outcome upper = run({"similar", "--item", "TOY STORY"});
  Outcome by_id = run({"similar", "--item-id", "1"});
  EXPECT_EQ(upper.out, r.out);
  EXPECT_EQ(by_id.out, r.out);
  // A filter.
  Outcome dramas = run({"similar", "--item-id", "1", "--genre", "Drama", "--min-ratings", "100"});
  ASSERT_EQ(dramas.code, 0) << dramas;
  for (const Row& row : rows_of(dramas.out)) {
    EXPECT_TRUE(d.genres.count(row.id) && d.genres.at(row.id).count("Drama")) << row.id;
    EXPECT_GE(d.all.count.at(row.id), 100) << row.id;
  }
}

TEST_F(RecommendCli, SimilarErrors) {
  Outcome r = run({"similar", "--item", "no such film zzz"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: --item: no title contains \"no such film zzz\"\n");
  r = run({"similar", "--item-id", "1683"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err,
            "cofi: error: item \"1683\" is not in the model (its 1,682 item ids run from 1 to 1682)\n");
  r = run({"similar", "--item-id", "1", "--user", "1"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: give one of --item TITLE, --item-id ID or --user ID\n");
}

TEST_F(RecommendCli, SimilarUsers) {
  const Ml100k& d = ml100k();
  Outcome r = run({"similar", "--user", "1", "--top", "7"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(first_line(r.out), "users most like user 1 (cosine similarity of user factors)");
  const auto rows = rows_of(r.out);
  expect_ranked(rows, 7, "similar users");
  for (const Row& row : rows) {
    EXPECT_NE(row.id, 1);
    EXPECT_LE(row.value, 1.0);
    // The last column: the user's ratings in training.
    EXPECT_EQ(row.rest, with_commas(d.all.rated.at(row.id).size())) << row.id;
  }
}

// ---- explain ---------------------------------------------------------------------------------------

TEST_F(RecommendCli, ExplainWithAPlot) {
  const Ml100k& d = ml100k();
  const std::string svg = file("pca.svg");
  Outcome r = run({"explain", "--plot", svg});
  ASSERT_EQ(r.code, 0) << r;
  size_t with_50 = 0;
  int most_rated = 0;
  for (const auto& [item, n] : d.all.count) {
    if (n >= 50) ++with_50;
    if (most_rated == 0 || n > d.all.count.at(most_rated)) most_rated = item;
  }
  EXPECT_THAT(r.out,
              HasSubstr("item biases (items with at least 50 ratings: " + with_commas(with_50) + ")\n"));
  EXPECT_THAT(r.out, HasSubstr("principal components of the item factors (1,000 most-rated items)\n"));
  EXPECT_THAT(r.out, HasSubstr("  component 3 ("));
  EXPECT_THAT(r.out, HasSubstr("\nmap of the items written to " + svg + "\n"));
  const std::string text = read_file(svg);
  EXPECT_THAT(text, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(text, HasSubstr("</svg>"));
  EXPECT_THAT(text, HasSubstr(">items on the first two principal components</text>"));
  EXPECT_THAT(text, HasSubstr(">component 1</text>"));
  EXPECT_THAT(text, HasSubstr(">component 2</text>"));
  // The most-rated item is labelled; 50 labels in all (--labels 50).
  EXPECT_THAT(text, HasSubstr("font-size=\"10\">" + d.title.at(most_rated) + "</text>"));
  size_t labels = 0;
  for (size_t at = text.find("font-size=\"10\">"); at != std::string::npos;
       at = text.find("font-size=\"10\">", at + 1))
    ++labels;
  EXPECT_EQ(labels, 50u);
}

TEST(RecommendCliExplain, ADotModelHasNoBiases) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string model = dir.file("dot.cofi");
  Outcome r = cofi({"train", "--data", "ml-100k", "--valid-pct", "0", "--epochs", "1", "--model", "dot",
                    "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"explain", "--model", model, "--components", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("\nitem biases: none (the dot model has no bias terms)\n")) << r;
  EXPECT_THAT(r.out, HasSubstr("  component 2 (")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("  component 3 ("))) << r;
}

// ---- eval --ranking --------------------------------------------------------------------------------

// A row of the ranking table: precision, recall, NDCG, MAP, MRR, hit rate, coverage.
std::vector<double> ranking_row(const std::string& out, const std::string& name) {
  return table_row(out, name, 7);
}

TEST(RecommendCliRanking, EvalRankingOnU1) {
  REQUIRE_DATA("ml-100k");
  const fs::path data = data_dir() / "ml-100k";
  TempDir dir;
  const std::string model = dir.file("u1.cofi");
  Outcome r =
      cofi({"train", "--train", (data / "u1.base").string(), "--epochs", "1", "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"eval", "--model", model, "--test", (data / "u1.test").string(), "--ranking"});
  ASSERT_EQ(r.code, 0) << r;

  // The counts, from the files: relevant = held-out ratings >= 4; a user is evaluated when they
  // have one; unreachable = relevant items that u1.base lacks (the two files share no pair).
  const Ratings100k base = read_ratings(data / "u1.base"), test = read_ratings(data / "u1.test");
  std::map<int, std::set<int>> relevant;
  std::set<int> test_users;
  size_t n_relevant = 0, unreachable = 0;
  for (const auto& [u, i, v] : test.rows) {
    test_users.insert(u);
    if (v < 4) continue;
    relevant[u].insert(i);
    ++n_relevant;
    if (!base.count.count(i)) ++unreachable;
  }
  EXPECT_THAT(r.out,
              HasSubstr("users     " + std::to_string(relevant.size()) + " evaluated; 0 not in the model; " +
                        std::to_string(test_users.size() - relevant.size()) +
                        " without a relevant item (left out)\n"))
      << r;
  EXPECT_THAT(r.out, HasSubstr("pairs     " + with_commas(n_relevant) + " relevant, " +
                               std::to_string(unreachable) + " of them unreachable"))
      << r;

  const auto model_row = ranking_row(r.out, "model"), pop = ranking_row(r.out, "popularity"),
             random = ranking_row(r.out, "random");
  ASSERT_EQ(model_row.size(), 7u) << r;
  ASSERT_EQ(pop.size(), 7u) << r;
  ASSERT_EQ(random.size(), 7u) << r;
  for (const auto* row : {&model_row, &pop, &random})
    for (double v : *row) {
      EXPECT_GE(v, 0.0) << r;
      EXPECT_LE(v, 1.0) << r;
    }
  EXPECT_LT(random[0], model_row[0]) << "precision: " << r;
  EXPECT_LT(random[2], model_row[2]) << "NDCG: " << r;
  EXPECT_GT(model_row[0], 0.05) << r;

  // Popularity by hand: items by u1.base count, ties by smaller id (the model's rows follow the
  // ids), each user's training items left out, the first 10 taken.
  std::vector<std::pair<int, int>> by_count;  // (count, item)
  for (const auto& [item, n] : base.count) by_count.push_back({n, item});
  std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  double precision = 0, recall = 0, mrr = 0, hits_any = 0;
  std::set<int> shown;
  for (const auto& [user, rel] : relevant) {
    size_t listed = 0, hits = 0;
    double rr = 0;
    for (const auto& [n, item] : by_count) {
      if (listed == 10) break;
      if (base.rated.count(user) && base.rated.at(user).count(item)) continue;
      shown.insert(item);
      if (rel.count(item)) {
        ++hits;
        if (rr == 0) rr = 1.0 / static_cast<double>(listed + 1);
      }
      ++listed;
    }
    precision += static_cast<double>(hits) / 10;
    recall += static_cast<double>(hits) / static_cast<double>(rel.size());
    mrr += rr;
    hits_any += hits > 0;
  }
  const auto users = static_cast<double>(relevant.size());
  EXPECT_NEAR(pop[0], precision / users, 5.1e-5) << r;
  EXPECT_NEAR(pop[1], recall / users, 5.1e-5) << r;
  EXPECT_NEAR(pop[4], mrr / users, 5.1e-5) << r;
  EXPECT_NEAR(pop[5], hits_any / users, 5.1e-5) << r;
  EXPECT_NEAR(pop[6], static_cast<double>(shown.size()) / static_cast<double>(base.count.size()), 5.1e-5)
      << r;

  // --k and a missing history.
  r = cofi({"eval", "--model", model, "--test", (data / "u1.test").string(), "--ranking", "-k", "0"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: ranking: k must be at least 1\n");
  const std::string bare = dir.file("bare.cofi");
  r = cofi({"train", "--train", (data / "u1.base").string(), "--epochs", "1", "--quiet", "--no-history",
            "--out", bare});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"eval", "--model", bare, "--test", (data / "u1.test").string(), "--ranking"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("ranking: the model file has no training history")) << r;
}

}  // namespace
}  // namespace cofi::cli_test
