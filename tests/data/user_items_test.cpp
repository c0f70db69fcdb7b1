// Ratings grouped by user: rows ascending by item, a repeated (user, item) pair keeping its last
// rating, users without ratings as empty rows, and the lookups on the result; and the item
// catalog built from side data by raw id.
#include "cofi/data/user_items.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cofi/data/catalog.h"

namespace cofi {
namespace {

Ratings ratings(std::vector<uint32_t> users, std::vector<uint32_t> items, std::vector<float> values,
                uint32_t n_users, uint32_t n_items) {
  Ratings r;
  r.user = Column<uint32_t>(std::move(users));
  r.item = Column<uint32_t>(std::move(items));
  r.rating = Column<float>(std::move(values));
  std::vector<uint32_t> u(n_users), i(n_items);
  for (uint32_t k = 0; k < n_users; ++k) u[k] = 100 + k;
  for (uint32_t k = 0; k < n_items; ++k) i[k] = 1 + k;
  r.users = IdMap::from_sorted_ints(u);
  r.items = IdMap::from_sorted_ints(i);
  return r;
}

std::vector<uint32_t> items_of(const UserItems& g, uint32_t u) {
  auto s = g.items_of(u);
  return {s.begin(), s.end()};
}
std::vector<float> ratings_of(const UserItems& g, uint32_t u) {
  auto s = g.ratings_of(u);
  return {s.begin(), s.end()};
}

TEST(UserItems, GroupsByUserWithItemsAscending) {
  // File order: user 2 rates 5, 1; user 0 rates 3, 0, 4; user 2 rates 2.
  const Ratings r = ratings({2, 2, 0, 0, 0, 2}, {5, 1, 3, 0, 4, 2}, {1, 2, 3, 4, 5, 6}, 3, 6);
  const UserItems g = group_by_user(r, 3);
  EXPECT_FALSE(g.empty());
  EXPECT_EQ(g.n_users(), 3u);
  EXPECT_EQ(g.size(), 6u);
  EXPECT_EQ(g.offsets, (std::vector<uint64_t>{0, 3, 3, 6}));
  EXPECT_EQ(items_of(g, 0), (std::vector<uint32_t>{0, 3, 4}));
  EXPECT_EQ(ratings_of(g, 0), (std::vector<float>{4, 3, 5}));
  EXPECT_TRUE(items_of(g, 1).empty());
  EXPECT_EQ(items_of(g, 2), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(ratings_of(g, 2), (std::vector<float>{2, 6, 1}));
  EXPECT_TRUE(g.contains(0, 3));
  EXPECT_FALSE(g.contains(0, 1));
  EXPECT_FALSE(g.contains(1, 0));
  EXPECT_TRUE(g.contains(2, 5));
  EXPECT_EQ(g.item_counts(6), (std::vector<uint32_t>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(g.item_counts(8), (std::vector<uint32_t>{1, 1, 1, 1, 1, 1, 0, 0}));
}

TEST(UserItems, ARepeatedPairKeepsItsLastRating) {
  // User 0 rates item 2 three times (5, then 1, then 3) around other ratings; user 1 twice.
  const Ratings r = ratings({0, 1, 0, 0, 1, 0}, {2, 0, 1, 2, 0, 2}, {5, 4, 2, 1, 2.5f, 3}, 2, 3);
  const UserItems g = group_by_user(r, 2);
  EXPECT_EQ(g.offsets, (std::vector<uint64_t>{0, 2, 3}));
  EXPECT_EQ(items_of(g, 0), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(ratings_of(g, 0), (std::vector<float>{2, 3}));
  EXPECT_EQ(items_of(g, 1), (std::vector<uint32_t>{0}));
  EXPECT_EQ(ratings_of(g, 1), (std::vector<float>{2.5f}));
  EXPECT_EQ(g.items.size(), g.ratings.size());
  EXPECT_EQ(g.item_counts(3), (std::vector<uint32_t>{1, 1, 1}));
}

TEST(UserItems, MoreUsersThanTheRatingsHave) {
  const Ratings r = ratings({1}, {0}, {4}, 2, 1);
  const UserItems g = group_by_user(r, 5);
  EXPECT_EQ(g.n_users(), 5u);
  EXPECT_EQ(g.offsets, (std::vector<uint64_t>{0, 0, 1, 1, 1, 1}));
  for (uint32_t u : {0u, 2u, 3u, 4u}) EXPECT_TRUE(items_of(g, u).empty()) << u;
  // No ratings at all: every row empty, but a history all the same.
  const UserItems none = group_by_user(ratings({}, {}, {}, 0, 0), 3);
  EXPECT_FALSE(none.empty());
  EXPECT_EQ(none.offsets, (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_TRUE(UserItems{}.empty());
  EXPECT_EQ(UserItems{}.n_users(), 0u);
}

TEST(UserItems, RandomRatingsAgainstAMap) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 20; ++trial) {
    const auto n_users = static_cast<uint32_t>(1 + rng() % 30),
               n_items = static_cast<uint32_t>(1 + rng() % 40);
    const size_t n = rng() % 400;
    std::vector<uint32_t> us(n), is(n);
    std::vector<float> vs(n);
    // The last rating of each pair, by brute force.
    std::vector<std::vector<float>> last(n_users, std::vector<float>(n_items, -1));
    for (size_t k = 0; k < n; ++k) {
      us[k] = static_cast<uint32_t>(rng() % n_users);
      is[k] = static_cast<uint32_t>(rng() % n_items);
      vs[k] = static_cast<float>(k);
      last[us[k]][is[k]] = vs[k];
    }
    const UserItems g = group_by_user(ratings(us, is, vs, n_users, n_items), n_users + 2);
    ASSERT_EQ(g.n_users(), n_users + 2u);
    for (uint32_t u = 0; u < n_users; ++u) {
      std::vector<uint32_t> want_items;
      std::vector<float> want_ratings;
      for (uint32_t i = 0; i < n_items; ++i)
        if (last[u][i] >= 0) {
          want_items.push_back(i);
          want_ratings.push_back(last[u][i]);
        }
      EXPECT_EQ(items_of(g, u), want_items) << "trial " << trial << " user " << u;
      EXPECT_EQ(ratings_of(g, u), want_ratings) << "trial " << trial << " user " << u;
    }
    EXPECT_TRUE(items_of(g, n_users).empty());
    EXPECT_TRUE(items_of(g, n_users + 1).empty());
  }
}

// ---- catalog_from ------------------------------------------------------------------------------

Items side_items() {
  // Raw ids 1, 2, 5; genre names Action, Comedy, Drama.
  Items it;
  it.ids = IdMap::from_sorted_ints({1, 2, 5});
  it.titles = {"One (2001)", "Two (2002)", "Five (2005)"};
  it.years = {2001, 2002, 2005};
  it.genre_names = {"Action", "Comedy", "Drama"};
  it.genres = {{0}, {1, 2}, {}};
  return it;
}

TEST(Catalog, BuiltByRawIdWithMissingItemsBlank) {
  // Model items 2, 3, 5: 2 and 5 are described, 3 is not.
  size_t matched = 99;
  const IdMap model_items = IdMap::from_sorted_ints({2, 3, 5});
  const Catalog c = catalog_from(model_items, side_items(), &matched);
  EXPECT_EQ(matched, 2u);
  EXPECT_EQ(c.titles, (std::vector<std::string>{"Two (2002)", "", "Five (2005)"}));
  EXPECT_EQ(c.years, (std::vector<int>{2002, 0, 2005}));
  EXPECT_EQ(c.genres, (std::vector<std::vector<uint16_t>>{{1, 2}, {}, {}}));
  EXPECT_EQ(c.genre_names, (std::vector<std::string>{"Action", "Comedy", "Drama"}));
  EXPECT_TRUE(c.rating_counts.empty());  // not the side data's to know
  EXPECT_TRUE(c.has_titles());

  EXPECT_EQ(c.title_or_id(0, model_items), "Two (2002)");
  EXPECT_EQ(c.title_or_id(1, model_items), "item 3");
  EXPECT_EQ(c.genre_text(0), "Comedy|Drama");
  EXPECT_EQ(c.genre_text(1), "");
  EXPECT_EQ(c.genre_text(2), "");
  EXPECT_EQ(c.genre_text(7), "");  // beyond the catalog
}

TEST(Catalog, StringAndIntegerIdsMeetAsText) {
  // String model ids against integer side data, and the other way round.
  size_t matched = 0;
  const IdMap strings = IdMap::from_sorted_strings({"1", "5", "x"});
  Catalog c = catalog_from(strings, side_items(), &matched);
  EXPECT_EQ(matched, 2u);
  EXPECT_EQ(c.titles, (std::vector<std::string>{"One (2001)", "Five (2005)", ""}));
  EXPECT_EQ(c.title_or_id(2, strings), "item x");

  Items by_string = side_items();
  by_string.ids = IdMap::from_sorted_strings({"1", "2", "5"});
  c = catalog_from(IdMap::from_sorted_ints({1, 4, 5}), by_string, &matched);
  EXPECT_EQ(matched, 2u);
  EXPECT_EQ(c.titles, (std::vector<std::string>{"One (2001)", "", "Five (2005)"}));
  EXPECT_EQ(c.genres[0], (std::vector<uint16_t>{0}));
}

TEST(Catalog, SideDataWithoutGenreListsAndNothingMatched) {
  Items it = side_items();
  it.genres.clear();
  it.genre_names.clear();
  size_t matched = 0;
  Catalog c = catalog_from(IdMap::from_sorted_ints({1, 2}), it, &matched);
  EXPECT_EQ(matched, 2u);
  EXPECT_EQ(c.genres, (std::vector<std::vector<uint16_t>>{{}, {}}));
  EXPECT_EQ(c.genre_text(0), "");
  c = catalog_from(IdMap::from_sorted_ints({7, 8}), side_items(), &matched);
  EXPECT_EQ(matched, 0u);
  EXPECT_EQ(c.titles, (std::vector<std::string>{"", ""}));
  // Without any titles, every item is named by id.
  EXPECT_EQ(Catalog{}.title_or_id(1, IdMap::from_sorted_strings({"a", "b"})), "item b");
  EXPECT_FALSE(Catalog{}.has_titles());
}

TEST(Catalog, FindGenreIgnoresCase) {
  const Catalog c = catalog_from(IdMap::from_sorted_ints({1}), side_items());
  EXPECT_EQ(c.find_genre("Comedy"), 1);
  EXPECT_EQ(c.find_genre("comedy"), 1);
  EXPECT_EQ(c.find_genre("DRAMA"), 2);
  EXPECT_EQ(c.find_genre("aCTION"), 0);
  EXPECT_EQ(c.find_genre("Com"), -1);
  EXPECT_EQ(c.find_genre("Comedy "), -1);
  EXPECT_EQ(c.find_genre(""), -1);
  EXPECT_EQ(Catalog{}.find_genre("Comedy"), -1);
}

}  // namespace
}  // namespace cofi
