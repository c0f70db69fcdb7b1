#include "cofi/data/side_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>

#include "cofi/error.h"

namespace fs = std::filesystem;

namespace {

// A fresh directory per test for the tiny fixtures each test writes.
class SideData : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("cofi_side_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path dir_;
};

// Runs `fn`, which must throw cofi::Error whose message holds every one of `parts`.
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no cofi::Error thrown";
  } catch (const cofi::Error& e) {
    for (const auto& p : parts) EXPECT_THAT(e.what(), ::testing::HasSubstr(p));
  }
}

std::vector<std::string> genre_names_of(const cofi::Items& items, size_t row) {
  std::vector<std::string> out;
  for (uint16_t g : items.genres[row]) out.push_back(items.genre_names[g]);
  return out;
}

const std::string kMoviesHeader = "movieId,title,genres\n";

}  // namespace

// --- year_from_title ---

TEST(YearFromTitle, FindsTheTrailingYearGroup) {
  EXPECT_EQ(cofi::year_from_title("Toy Story (1995)"), 1995);
  EXPECT_EQ(cofi::year_from_title("Babylon 5 (1994-1998)"), 1994);
  EXPECT_EQ(cofi::year_from_title("Death Note: Desu n\xC3\xB4to (2006\xE2\x80\x93" "2007)"), 2006);
  EXPECT_EQ(cofi::year_from_title("Stranger Things (2016\xE2\x80\x93)"), 2016);
  EXPECT_EQ(cofi::year_from_title("From Dusk Till Dawn 2: Texas Blood Money (1999) "), 1999);
  EXPECT_EQ(cofi::year_from_title("City of Lost Children, The (Cit\xC3\xA9 des enfants perdus, La) (1995)"), 1995);
  EXPECT_EQ(cofi::year_from_title("1984 (1984)"), 1984);
}

TEST(YearFromTitle, ZeroWithoutAYearAtTheEnd) {
  EXPECT_EQ(cofi::year_from_title("Babylon 5"), 0);
  EXPECT_EQ(cofi::year_from_title(""), 0);
  EXPECT_EQ(cofi::year_from_title("unknown"), 0);
  EXPECT_EQ(cofi::year_from_title("Land Before Time III (1995) (V)"), 0);
  EXPECT_EQ(cofi::year_from_title("Short (19)"), 0);
  EXPECT_EQ(cofi::year_from_title("Odd (1995a)"), 0);
  EXPECT_EQ(cofi::year_from_title("Odd (1995-96)"), 0);
  EXPECT_EQ(cofi::year_from_title("(1995) The Sequel"), 0);
}

// --- movies.csv ---

TEST_F(SideData, MoviesCsvReadsQuotingGenresAndSortsById) {
  auto path = write("movies.csv", kMoviesHeader +
                                      "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
                                      "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
                                      "7789,\"11'09\"\"01 - September 11 (2002)\",Drama\n"
                                      "40697,Babylon 5,(no genres listed)\n");
  cofi::Items items = cofi::read_movies_csv(path);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items.ids.ints(), (std::vector<uint32_t>{1, 11, 7789, 40697}));
  EXPECT_EQ(items.titles[0], "Toy Story (1995)");
  EXPECT_EQ(items.titles[1], "American President, The (1995)");
  EXPECT_EQ(items.titles[2], "11'09\"01 - September 11 (2002)");
  EXPECT_EQ(items.years, (std::vector<int>{1995, 1995, 2002, 0}));
  // The vocabulary is in order of first appearance in the file.
  EXPECT_EQ(items.genre_names, (std::vector<std::string>{"Comedy", "Drama", "Romance", "Adventure", "Animation",
                                                         "Children", "Fantasy"}));
  EXPECT_EQ(genre_names_of(items, 0),
            (std::vector<std::string>{"Adventure", "Animation", "Children", "Comedy", "Fantasy"}));
  EXPECT_TRUE(items.genres[3].empty());
  EXPECT_TRUE(items.imdb_ids.empty());
}

TEST_F(SideData, MoviesCsvAcceptsBomCrlfBlankLinesAndNoFinalNewline) {
  auto path = write("movies.csv", "\xEF\xBB\xBFmovieId,title,genres\r\n1,\"A, B (2001)\",Drama\r\n\r\n2,C (2002),Comedy");
  cofi::Items items = cofi::read_movies_csv(path);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items.titles[0], "A, B (2001)");
  EXPECT_EQ(items.titles[1], "C (2002)");
}

TEST_F(SideData, MoviesCsvQuotedFieldMaySpanLinesAndLinesStillCount) {
  auto path = write("movies.csv", kMoviesHeader + "1,\"Two\nLines (2001)\",Drama\n2,Bad (2002),\n");
  cofi::Items items;
  expect_error([&] { items = cofi::read_movies_csv(path); }, {path + ":4: field 'genres'", "missing value"});
  write("movies.csv", kMoviesHeader + "1,\"Two\nLines (2001)\",Drama\n");
  items = cofi::read_movies_csv(path);
  EXPECT_EQ(items.titles[0], "Two\nLines (2001)");
}

TEST_F(SideData, MoviesCsvEmptyFile) {
  auto path = write("movies.csv", "");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ": ", "the file is empty", "movieId,title,genres"});
}

TEST_F(SideData, MoviesCsvWhitespaceOnlyIsEmpty) {
  auto path = write("movies.csv", "\xEF\xBB\xBF\r\n\n  \n");
  expect_error([&] { cofi::read_movies_csv(path); }, {"the file is empty"});
}

TEST_F(SideData, MoviesCsvHeaderOnly) {
  auto path = write("movies.csv", kMoviesHeader);
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":1: ", "a header but no movies"});
}

TEST_F(SideData, MoviesCsvWrongHeader) {
  auto path = write("movies.csv", "id,title,genres\n1,A (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":1: ", "wrong header", "expected \"movieId,title,genres\"", "\"id,title,genres\""});
}

TEST_F(SideData, MoviesCsvMissingField) {
  auto path = write("movies.csv", kMoviesHeader + "1,A (2000),Drama\n2,B (2001)\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":3: field 'genres': ", "expected 3 fields separated by \",\", found 2"});
}

TEST_F(SideData, MoviesCsvExtraField) {
  auto path = write("movies.csv", kMoviesHeader + "1,A, The (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: ", "expected 3 fields", "found 4"});
}

TEST_F(SideData, MoviesCsvNonNumericId) {
  auto path = write("movies.csv", kMoviesHeader + "x1,A (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":2: field 'movieId': ", "expected an integer id, found \"x1\""});
}

TEST_F(SideData, MoviesCsvNegativeId) {
  auto path = write("movies.csv", kMoviesHeader + "-3,A (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: field 'movieId': ", "non-negative", "\"-3\""});
}

TEST_F(SideData, MoviesCsvIdBeyond32Bits) {
  auto path = write("movies.csv", kMoviesHeader + "4294967296,A (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":2: field 'movieId': ", "does not fit in 32 bits", "\"4294967296\""});
}

TEST_F(SideData, MoviesCsvUnterminatedQuote) {
  auto path = write("movies.csv", kMoviesHeader + "1,A (2000),Drama\n2,\"B, The (2001),Drama\n3,C (2002),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":3: field 'title': ", "unterminated quote", "opened with '\"' on line 3"});
}

TEST_F(SideData, MoviesCsvTextAfterClosingQuote) {
  auto path = write("movies.csv", kMoviesHeader + "1,\"B, The\" (2001),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":2: field 'title': ", "after the closing quote", "\" (2001)\""});
}

TEST_F(SideData, MoviesCsvQuoteLeftOpenIsCaughtAtTheNextQuote) {
  auto path = write("movies.csv", kMoviesHeader + "1,\"A (2000),Drama\n2,\"B\" x,Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":2: field 'title': ", "after the closing quote on line 3", "opened on line 2"});
}

TEST_F(SideData, MoviesCsvQuoteInsideUnquotedField) {
  auto path = write("movies.csv", kMoviesHeader + "1,B \"The\" (2001),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: field 'title': ", "a quote inside an unquoted field"});
}

TEST_F(SideData, MoviesCsvInvalidUtf8) {
  auto path = write("movies.csv", kMoviesHeader + "1,Mis\xE9rables (1995),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: field 'title': ", "invalid UTF-8", "\\xe9"});
}

TEST_F(SideData, MoviesCsvEmptyTitle) {
  auto path = write("movies.csv", kMoviesHeader + "1,,Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: field 'title': ", "missing value: expected a title"});
}

TEST_F(SideData, MoviesCsvEmptyGenreName) {
  auto path = write("movies.csv", kMoviesHeader + "1,A (2000),Drama||Comedy\n");
  expect_error([&] { cofi::read_movies_csv(path); }, {path + ":2: field 'genres': ", "an empty genre name"});
}

TEST_F(SideData, MoviesCsvDuplicateIdNamesBothLines) {
  auto path = write("movies.csv", kMoviesHeader + "5,A (2000),Drama\n6,B (2000),Drama\n5,C (2000),Drama\n");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":4: field 'movieId': ", "duplicate id 5", "already on line 2"});
}

TEST_F(SideData, MoviesCsvTruncatedLastLine) {
  auto path = write("movies.csv", kMoviesHeader + "1,A (2000),Drama\n2,B (20");
  expect_error([&] { cofi::read_movies_csv(path); },
               {path + ":3: field 'genres': ", "found 2", "no line end: the file may be truncated"});
}

TEST_F(SideData, MissingFileIsAnError) {
  auto path = (dir_ / "nope.csv").string();
  expect_error([&] { cofi::read_movies_csv(path); }, {path, "cannot open"});
}

// --- links.csv ---

TEST_F(SideData, LinksCsvFillsRowsAlignedWithItems) {
  auto movies = write("movies.csv", kMoviesHeader + "3,C (2003),Drama\n1,A (2001),Drama\n2,B (2002),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\n3,0113228,15602\n1,0114709,\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  cofi::read_links_csv(links, items);
  EXPECT_EQ(items.imdb_ids, (std::vector<std::string>{"0114709", "", "0113228"}));
  EXPECT_EQ(items.tmdb_ids, (std::vector<std::string>{"", "", "15602"}));
}

TEST_F(SideData, LinksCsvUnknownMovieLeavesItemsUntouched) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n9,0113497,8844\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); },
               {links + ":3: field 'movieId': ", "movie 9 is not among the movies"});
  EXPECT_TRUE(items.imdb_ids.empty());
}

TEST_F(SideData, LinksCsvBadImdbId) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\n1,tt0114709,862\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); }, {links + ":2: field 'imdbId': ", "\"tt0114709\""});
}

TEST_F(SideData, LinksCsvBadTmdbId) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,8x\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); }, {links + ":2: field 'tmdbId': ", "\"8x\""});
}

TEST_F(SideData, LinksCsvDuplicateMovie) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n1,0114709,862\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); },
               {links + ":3: field 'movieId': ", "duplicate id 1", "already on line 2"});
}

TEST_F(SideData, LinksCsvWrongHeader) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId\n1,0114709\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); }, {links + ":1: ", "wrong header", "movieId,imdbId,tmdbId"});
}

TEST_F(SideData, LinksCsvHeaderOnly) {
  auto movies = write("movies.csv", kMoviesHeader + "1,A (2001),Drama\n");
  auto links = write("links.csv", "movieId,imdbId,tmdbId\r\n");
  cofi::Items items = cofi::read_movies_csv(movies);
  expect_error([&] { cofi::read_links_csv(links, items); }, {links + ":1: ", "a header but no links"});
}

// --- tags.csv ---

TEST_F(SideData, TagsCsvReadsQuotedTags) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n"
                                "567,4552,\"\"\"artsy\"\"\",1525285878\n7,1,\"dark, moody\",-5\n");
  cofi::Tags tags = cofi::read_tags_csv(path);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags.user, (std::vector<uint32_t>{2, 567, 7}));
  EXPECT_EQ(tags.item, (std::vector<uint32_t>{60756, 4552, 1}));
  EXPECT_EQ(tags.tag, (std::vector<std::string>{"funny", "\"artsy\"", "dark, moody"}));
  EXPECT_EQ(tags.timestamp, (std::vector<int64_t>{1445714994, 1525285878, -5}));
}

TEST_F(SideData, TagsCsvBadTimestamp) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n2,60756,funny,14457x\n");
  expect_error([&] { cofi::read_tags_csv(path); },
               {path + ":2: field 'timestamp': ", "expected an integer timestamp, found \"14457x\""});
}

TEST_F(SideData, TagsCsvEmptyTag) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n2,60756,,1\n");
  expect_error([&] { cofi::read_tags_csv(path); }, {path + ":2: field 'tag': ", "missing value: expected a tag"});
}

TEST_F(SideData, TagsCsvMissingUser) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n,60756,x,1\n");
  expect_error([&] { cofi::read_tags_csv(path); }, {path + ":2: field 'userId': ", "missing value"});
}

TEST_F(SideData, TagsCsvInvalidUtf8) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n1,2,caf\xC3,1\n");
  expect_error([&] { cofi::read_tags_csv(path); }, {path + ":2: field 'tag': ", "invalid UTF-8"});
}

TEST_F(SideData, TagsCsvHeaderOnly) {
  auto path = write("tags.csv", "userId,movieId,tag,timestamp\n");
  expect_error([&] { cofi::read_tags_csv(path); }, {path + ":1: ", "a header but no tags"});
}

// --- ml-100k ---

namespace {

const std::string kGenre = "unknown|0\nAction|1\nComedy|2\n\n";
std::string item_line(const std::string& id, const std::string& title, const std::string& date,
                      const std::string& flags) {
  return id + "|" + title + "|" + date + "||http://us.imdb.com/M/x|" + flags + "\n";
}

}  // namespace

TEST_F(SideData, Ml100kItemsDecodeLatin1AndReadFlags) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("2", "Mis\xE9rables, Les (1995)", "01-Jan-1995", "0|0|1") +
                                  item_line("1", "Toy Story (1995)", "01-Jan-1995", "0|1|1") +
                                  item_line("267", "unknown", "", "1|0|0") +
                                  item_line("9", "Land Before Time III (1995) (V)", "4-Feb-1996", "0|0|0") +
                                  item_line("10", "Contempt (M\xE9pris, Le) (1963)", "27-Jun-1997", "0|0|0"));
  cofi::Items items = cofi::read_ml100k_items(item, genre);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items.ids.ints(), (std::vector<uint32_t>{1, 2, 9, 10, 267}));
  EXPECT_EQ(items.genre_names, (std::vector<std::string>{"unknown", "Action", "Comedy"}));
  EXPECT_EQ(items.titles[1], "Mis\xC3\xA9rables, Les (1995)");
  EXPECT_EQ(items.titles[3], "Contempt (M\xC3\xA9pris, Le) (1963)");
  // The title's year first (a release date may be a re-release), else the date's.
  EXPECT_EQ(items.years, (std::vector<int>{1995, 1995, 1996, 1963, 0}));
  EXPECT_EQ(genre_names_of(items, 0), (std::vector<std::string>{"Action", "Comedy"}));
  EXPECT_EQ(genre_names_of(items, 4), (std::vector<std::string>{"unknown"}));
  EXPECT_TRUE(items.genres[2].empty());
}

TEST_F(SideData, Ml100kItemsUtf8IsKept) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("1", "Mis\xC3\xA9rables (1995)", "01-Jan-1995", "0|0|1"));
  EXPECT_EQ(cofi::read_ml100k_items(item, genre).titles[0], "Mis\xC3\xA9rables (1995)");
}

TEST_F(SideData, Ml100kItemsBadFlagNamesTheGenre) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("1", "A (1995)", "01-Jan-1995", "0|2|0"));
  expect_error([&] { cofi::read_ml100k_items(item, genre); },
               {item + ":1: field 'Action': ", "expected a genre flag 0 or 1, found \"2\""});
}

TEST_F(SideData, Ml100kItemsWrongFieldCount) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("1", "A (1995)", "01-Jan-1995", "0|1|0") +
                                  item_line("2", "B (1995)", "01-Jan-1995", "0|1"));
  expect_error([&] { cofi::read_ml100k_items(item, genre); },
               {item + ":2: field 'Comedy': ", "expected 8 fields separated by \"|\", found 7"});
}

TEST_F(SideData, Ml100kItemsBadDate) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("1", "A (1995)", "1995-01-01", "0|1|0"));
  expect_error([&] { cofi::read_ml100k_items(item, genre); },
               {item + ":1: field 'release date': ", "01-Jan-1995", "\"1995-01-01\""});
}

TEST_F(SideData, Ml100kItemsDuplicateId) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", item_line("1", "A (1995)", "", "0|1|0") + item_line("1", "B (1995)", "", "0|1|0"));
  expect_error([&] { cofi::read_ml100k_items(item, genre); },
               {item + ":2: field 'movie id': ", "duplicate id 1", "already on line 1"});
}

TEST_F(SideData, Ml100kItemsEmptyFile) {
  auto genre = write("u.genre", kGenre);
  auto item = write("u.item", "\n");
  expect_error([&] { cofi::read_ml100k_items(item, genre); }, {item + ": ", "the file is empty"});
}

TEST_F(SideData, Ml100kGenresIndexOutOfOrder) {
  auto genre = write("u.genre", "unknown|0\nAction|2\n");
  expect_error([&] { cofi::read_ml100k_genres(genre); },
               {genre + ":2: field 'index': ", "expected the index 1, found \"2\""});
}

TEST_F(SideData, Ml100kGenresMissingIndex) {
  auto genre = write("u.genre", "unknown|0\nAction\n");
  expect_error([&] { cofi::read_ml100k_genres(genre); }, {genre + ":2: field 'index': ", "found 1"});
}

TEST_F(SideData, Ml100kUsersWithOccupations) {
  auto occupation = write("u.occupation", "technician\nother\nwriter\n");
  auto user = write("u.user", "2|53|F|other|94043\n1|24|M|technician|85711\n3|23|M|writer|T8H1N\n");
  cofi::Users users = cofi::read_ml100k_users(user, occupation);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users.attribute_names, (std::vector<std::string>{"age", "gender", "occupation", "zip"}));
  EXPECT_EQ(users.ids.ints(), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(users.values[0], (std::vector<std::string>{"24", "M", "technician", "85711"}));
  EXPECT_EQ(users.values[2], (std::vector<std::string>{"23", "M", "writer", "T8H1N"}));
  EXPECT_EQ(cofi::read_ml100k_occupations(occupation), (std::vector<std::string>{"technician", "other", "writer"}));
}

TEST_F(SideData, Ml100kUsersUnknownOccupation) {
  auto occupation = write("u.occupation", "technician\nother\n");
  auto user = write("u.user", "1|24|M|technician|85711\n2|53|F|astronaut|94043\n");
  expect_error([&] { cofi::read_ml100k_users(user, occupation); },
               {user + ":2: field 'occupation': ", "\"astronaut\" is not listed in " + occupation});
  // Without an occupation list any occupation goes.
  EXPECT_EQ(cofi::read_ml100k_users(user, "").values[1][2], "astronaut");
}

TEST_F(SideData, Ml100kUsersBadAge) {
  auto user = write("u.user", "1|2x|M|technician|85711\n");
  expect_error([&] { cofi::read_ml100k_users(user, ""); }, {user + ":1: field 'age': ", "\"2x\""});
}

TEST_F(SideData, Ml100kUsersIdBeyond32Bits) {
  auto user = write("u.user", "99999999999|24|M|technician|85711\n");
  expect_error([&] { cofi::read_ml100k_users(user, ""); }, {user + ":1: field 'user id': ", "32 bits"});
}

TEST_F(SideData, Ml100kOccupationListedTwice) {
  auto occupation = write("u.occupation", "other\nwriter\nother\n");
  expect_error([&] { cofi::read_ml100k_occupations(occupation); }, {occupation + ":3: ", "listed twice"});
}

// --- ml-1m / ml-10m .dat ---

TEST_F(SideData, MoviesDatDecodesLatin1AndKeepsUtf8) {
  auto path = write("movies.dat", "2::Mis\xE9rables, Les (1995)::Drama|Musical\n"
                                  "1::Toy Story (1995)::Animation|Children's|Comedy\n"
                                  "3::Caf\xC3\xA9 (2000)::(no genres listed)\n"
                                  "4::Title::With Colons (2001)::Drama\n");
  cofi::Items items = cofi::read_movies_dat(path);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items.ids.ints(), (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(items.titles[1], "Mis\xC3\xA9rables, Les (1995)");
  EXPECT_EQ(items.titles[2], "Caf\xC3\xA9 (2000)");
  EXPECT_EQ(items.titles[3], "Title::With Colons (2001)");
  EXPECT_EQ(items.years, (std::vector<int>{1995, 1995, 2000, 2001}));
  EXPECT_EQ(genre_names_of(items, 0), (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_TRUE(items.genres[2].empty());
}

TEST_F(SideData, MoviesDatMissingGenres) {
  auto path = write("movies.dat", "1::Toy Story (1995)::Comedy\n2::Jumanji (1995)\n");
  expect_error([&] { cofi::read_movies_dat(path); },
               {path + ":2: field 'Genres': ", "expected 3 fields separated by \"::\", found 2"});
}

TEST_F(SideData, MoviesDatBadId) {
  auto path = write("movies.dat", "one::Toy Story (1995)::Comedy\n");
  expect_error([&] { cofi::read_movies_dat(path); }, {path + ":1: field 'MovieID': ", "\"one\""});
}

TEST_F(SideData, UsersDatMapsOccupationCodes) {
  auto path = write("users.dat", "2::M::56::16::70072\r\n1::F::1::10::48067\r\n3::M::25::20::55117\r\n");
  cofi::Users users = cofi::read_users_dat(path);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users.attribute_names, (std::vector<std::string>{"gender", "age", "occupation", "zip"}));
  EXPECT_EQ(users.values[0], (std::vector<std::string>{"F", "1", "K-12 student", "48067"}));
  EXPECT_EQ(users.values[1][2], "self-employed");
  EXPECT_EQ(users.values[2][2], "writer");
}

TEST_F(SideData, UsersDatOccupationOutOfRange) {
  auto path = write("users.dat", "1::F::1::21::48067\n");
  expect_error([&] { cofi::read_users_dat(path); }, {path + ":1: field 'Occupation': ", "0 to 20", "\"21\""});
}

TEST_F(SideData, UsersDatTruncated) {
  auto path = write("users.dat", "1::F::1::10::48067\n2::M::56");
  expect_error([&] { cofi::read_users_dat(path); },
               {path + ":2: field 'Occupation': ", "found 3", "may be truncated"});
}

TEST_F(SideData, TagsDatReads) {
  auto path = write("tags.dat", "15::4973::excellent!::1215184630\n20::1747::politics::1188263867\n");
  cofi::Tags tags = cofi::read_tags_dat(path);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags.user, (std::vector<uint32_t>{15, 20}));
  EXPECT_EQ(tags.tag[0], "excellent!");
  EXPECT_EQ(tags.timestamp[1], 1188263867);
}

TEST_F(SideData, TagsDatBadTimestamp) {
  auto path = write("tags.dat", "15::4973::excellent!::soon\n");
  expect_error([&] { cofi::read_tags_dat(path); }, {path + ":1: field 'Timestamp': ", "\"soon\""});
}

TEST_F(SideData, DatEmptyFile) {
  auto path = write("tags.dat", "");
  expect_error([&] { cofi::read_tags_dat(path); }, {path + ": ", "the file is empty"});
}

// --- users.csv ---

TEST_F(SideData, UsersCsvAttributesFromHeader) {
  auto path = write("users.csv", "userId,gender,age,occupation\n2,F,35,\"sales, retail\"\n1,M,25,\n");
  cofi::Users users = cofi::read_users_csv(path);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users.attribute_names, (std::vector<std::string>{"gender", "age", "occupation"}));
  EXPECT_EQ(users.values[0], (std::vector<std::string>{"M", "25", ""}));
  EXPECT_EQ(users.values[1], (std::vector<std::string>{"F", "35", "sales, retail"}));
}

TEST_F(SideData, UsersCsvWrongFieldCount) {
  auto path = write("users.csv", "userId,gender,age\n1,M\n");
  expect_error([&] { cofi::read_users_csv(path); }, {path + ":2: field 'age': ", "expected 3 fields"});
}

TEST_F(SideData, UsersCsvDuplicateId) {
  auto path = write("users.csv", "userId,gender\n7,M\n8,F\n7,F\n");
  expect_error([&] { cofi::read_users_csv(path); }, {path + ":4: field 'userId': ", "duplicate id 7", "line 2"});
}

TEST_F(SideData, UsersCsvRepeatedColumn) {
  auto path = write("users.csv", "userId,age,age\n1,2,3\n");
  expect_error([&] { cofi::read_users_csv(path); }, {path + ":1: field 'column 3': ", "\"age\" is repeated"});
}

TEST_F(SideData, UsersCsvHeaderOnly) {
  auto path = write("users.csv", "userId,gender\n");
  expect_error([&] { cofi::read_users_csv(path); }, {path + ":1: ", "a header but no users"});
}

// --- the real data sets (COFI_DATA_DIR) ---

namespace {

std::string data_path(const std::string& relative) {
  const char* dir = std::getenv("COFI_DATA_DIR");
  if (!dir) return {};
  fs::path p = fs::path(dir) / relative;
  return fs::exists(p) ? p.string() : std::string();
}

}  // namespace

TEST(SideDataReal, MlLatestSmallMoviesLinksTags) {
  std::string movies = data_path("ml-latest-small/movies.csv");
  if (movies.empty()) GTEST_SKIP() << "COFI_DATA_DIR/ml-latest-small not found";
  cofi::Items items = cofi::read_movies_csv(movies);
  ASSERT_EQ(items.size(), 9742u);
  auto toy = items.ids.find(1u);
  ASSERT_TRUE(toy);
  EXPECT_EQ(items.titles[*toy], "Toy Story (1995)");
  EXPECT_EQ(items.years[*toy], 1995);
  EXPECT_EQ(genre_names_of(items, *toy),
            (std::vector<std::string>{"Adventure", "Animation", "Children", "Comedy", "Fantasy"}));
  EXPECT_EQ(items.titles[*items.ids.find(11u)], "American President, The (1995)");
  EXPECT_EQ(items.titles[*items.ids.find(7789u)], "11'09\"01 - September 11 (2002)");
  EXPECT_EQ(items.titles[*items.ids.find(73u)], "Mis\xC3\xA9rables, Les (1995)");
  EXPECT_EQ(items.genre_names.size(), 19u);
  EXPECT_EQ(std::count(items.years.begin(), items.years.end(), 0), 12);

  cofi::read_links_csv(data_path("ml-latest-small/links.csv"), items);
  EXPECT_EQ(items.imdb_ids[*toy], "0114709");
  EXPECT_EQ(items.tmdb_ids[*toy], "862");
  EXPECT_EQ(items.tmdb_ids[*items.ids.find(791u)], "");
  EXPECT_EQ(std::count(items.imdb_ids.begin(), items.imdb_ids.end(), ""), 0);

  cofi::Tags tags = cofi::read_tags_csv(data_path("ml-latest-small/tags.csv"));
  EXPECT_EQ(tags.size(), 3683u);
  EXPECT_EQ(tags.tag[0], "funny");
  EXPECT_NE(std::find(tags.tag.begin(), tags.tag.end(), "\"artsy\""), tags.tag.end());
}

TEST(SideDataReal, Ml100kItemsAndUsers) {
  std::string item = data_path("ml-100k/u.item");
  if (item.empty()) GTEST_SKIP() << "COFI_DATA_DIR/ml-100k not found";
  cofi::Items items = cofi::read_ml100k_items(item, data_path("ml-100k/u.genre"));
  ASSERT_EQ(items.size(), 1682u);
  EXPECT_EQ(items.genre_names.size(), 19u);
  EXPECT_EQ(items.genre_names[4], "Children's");
  EXPECT_EQ(items.titles[0], "Toy Story (1995)");
  EXPECT_EQ(items.years[0], 1995);
  EXPECT_EQ(genre_names_of(items, 0), (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(items.titles[*items.ids.find(543u)], "Mis\xC3\xA9rables, Les (1995)");
  EXPECT_EQ(items.titles[*items.ids.find(267u)], "unknown");
  EXPECT_EQ(items.years[*items.ids.find(267u)], 0);
  EXPECT_EQ(items.years[*items.ids.find(1252u)], 1963);

  cofi::Users users =
      cofi::read_ml100k_users(data_path("ml-100k/u.user"), data_path("ml-100k/u.occupation"));
  ASSERT_EQ(users.size(), 943u);
  EXPECT_EQ(users.values[0], (std::vector<std::string>{"24", "M", "technician", "85711"}));
  EXPECT_EQ(cofi::read_ml100k_occupations(data_path("ml-100k/u.occupation")).size(), 21u);
}
