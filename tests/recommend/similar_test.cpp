// Similar items and users against brute-force cosine similarity computed here in double over a
// small model's embeddings (self left out, zero rows never returned, the filter applied, exact
// ties by row), and the title search (case-insensitive, exact titles first, then by ratings).
#include "cofi/recommend/similar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cofi/error.h"

namespace cofi {
namespace {

using Near = std::vector<std::pair<float, uint32_t>>;

// A dotbias model of 9 users and 14 items with 4 factors: random embeddings, and some rows set
// to zero or to copies of others so that exact ties occur. Biases are set large, to show they
// are not part of the similarity.
std::unique_ptr<Model> make_model() {
  ModelConfig c;
  c.kind = ModelKind::dotbias;
  c.n_users = 9;
  c.n_items = 14;
  c.user_factors = c.item_factors = 4;
  auto m = Model::create(c, 1);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& p : m->parameters())
    for (float& x : p.value) x = p.cols == 1 ? 10.0f * u(rng) : u(rng);
  auto& items = m->parameters()[1];  // i_weight
  EXPECT_EQ(items.name, "i_weight");
  std::fill(items.row(4), items.row(4) + 4, 0.0f);  // no direction
  std::fill(items.row(11), items.row(11) + 4, 0.0f);
  std::copy(items.row(2), items.row(2) + 4, items.row(9));  // 2 and 9 identical: a tie for everyone
  for (int f = 0; f < 4; ++f) items.row(13)[f] = 3.0f * items.row(6)[f];  // 6 and 13 point the same way
  auto& users = m->parameters()[0];
  std::fill(users.row(5), users.row(5) + 4, 0.0f);
  return m;
}

double cosine(const Parameter& e, uint32_t a, uint32_t b) {
  double dot = 0, na = 0, nb = 0;
  for (uint32_t f = 0; f < e.cols; ++f) {
    dot += static_cast<double>(e.row(a)[f]) * e.row(b)[f];
    na += static_cast<double>(e.row(a)[f]) * e.row(a)[f];
    nb += static_cast<double>(e.row(b)[f]) * e.row(b)[f];
  }
  return dot / std::sqrt(na * nb);
}

bool is_zero(const Parameter& e, uint32_t r) {
  for (uint32_t f = 0; f < e.cols; ++f)
    if (e.row(r)[f] != 0.0f) return false;
  return true;
}

// Brute force: every other non-zero allowed row by cosine (double), descending, ties by row.
std::vector<std::pair<double, uint32_t>> brute(const Parameter& e, uint32_t row, size_t n,
                                               const std::vector<uint8_t>& allowed) {
  std::vector<std::pair<double, uint32_t>> all;
  for (uint32_t r = 0; r < e.rows; ++r) {
    if (r == row || is_zero(e, r) || (!allowed.empty() && !allowed[r])) continue;
    all.push_back({cosine(e, row, r), r});
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (all.size() > n) all.resize(n);
  return all;
}

// The same rows in the same order, except that two rows whose cosines agree to 1e-6 may trade
// places (float against double); the similarities agree to 1e-6.
void expect_matches_brute(const Model& m, Side side, uint32_t row, size_t n,
                          const std::vector<uint8_t>& allowed) {
  const Parameter& e = m.embedding(side);
  const auto want = brute(e, row, n, allowed);
  const Near got = most_similar(m, side, row, n, allowed, 1);
  ASSERT_EQ(got.size(), want.size()) << "row " << row << " n " << n;
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_NEAR(got[k].first, cosine(e, row, got[k].second), 1e-6) << "row " << row << " rank " << k;
    if (got[k].second != want[k].second) {
      EXPECT_NEAR(cosine(e, row, got[k].second), want[k].first, 1e-6) << "row " << row << " rank " << k;
    }
    if (k > 0) {
      EXPECT_GE(got[k - 1].first, got[k].first);
    }
  }
  // Threads do not change the result.
  EXPECT_EQ(most_similar(m, side, row, n, allowed, 2), got);
}

TEST(RecommendSimilar, ItemsMatchBruteForceCosine) {
  auto m = make_model();
  EXPECT_EQ(&m->embedding(Side::item), &m->parameters()[1]);
  for (uint32_t row = 0; row < 14; ++row) {
    if (row == 4 || row == 11) continue;
    for (size_t n : {size_t{1}, size_t{3}, size_t{13}, size_t{50}})
      expect_matches_brute(*m, Side::item, row, n, {});
  }
}

TEST(RecommendSimilar, UsersMatchBruteForceCosine) {
  auto m = make_model();
  for (uint32_t row = 0; row < 9; ++row) {
    if (row == 5) continue;
    expect_matches_brute(*m, Side::user, row, 4, {});
    expect_matches_brute(*m, Side::user, row, 20, {});
  }
}

TEST(RecommendSimilar, SelfAndZeroRowsAreNeverReturned) {
  auto m = make_model();
  for (uint32_t row : {0u, 2u, 6u, 9u, 13u}) {
    const Near got = most_similar(*m, Side::item, row, 100);
    EXPECT_EQ(got.size(), 11u) << "14 items less itself and the two zero rows";
    for (const auto& [sim, r] : got) {
      EXPECT_NE(r, row);
      EXPECT_NE(r, 4u);
      EXPECT_NE(r, 11u);
      EXPECT_FALSE(std::isnan(sim));
    }
  }
  // A zero row has no direction: nothing is similar to it.
  EXPECT_TRUE(most_similar(*m, Side::item, 4, 10).empty());
  EXPECT_TRUE(most_similar(*m, Side::user, 5, 10).empty());
}

TEST(RecommendSimilar, IdenticalRowsTieAndParallelRowsAreFullySimilar) {
  auto m = make_model();
  // Rows 2 and 9 are the same vector, so every query gives them the same similarity: the
  // smaller row comes first, right before the other.
  for (uint32_t row : {0u, 1u, 3u, 5u}) {
    const Near got = most_similar(*m, Side::item, row, 100);
    auto at2 = std::find_if(got.begin(), got.end(), [](const auto& p) { return p.second == 2; });
    ASSERT_NE(at2, got.end());
    ASSERT_NE(at2 + 1, got.end());
    EXPECT_EQ((at2 + 1)->second, 9u) << "row " << row;
    EXPECT_EQ((at2 + 1)->first, at2->first) << "row " << row;
  }
  // Row 2's nearest is its copy, at similarity 1; row 6's is 13 (3 times row 6).
  const Near from2 = most_similar(*m, Side::item, 2, 1);
  ASSERT_EQ(from2.size(), 1u);
  EXPECT_EQ(from2[0].second, 9u);
  EXPECT_NEAR(from2[0].first, 1.0f, 1e-6f);
  const Near from13 = most_similar(*m, Side::item, 13, 1);
  ASSERT_EQ(from13.size(), 1u);
  EXPECT_EQ(from13[0].second, 6u);
  EXPECT_NEAR(from13[0].first, 1.0f, 1e-6f);
}

TEST(RecommendSimilar, TheFilterLeavesRowsOut) {
  auto m = make_model();
  std::vector<uint8_t> allowed(14, 1);
  for (uint32_t r : {1u, 6u, 9u, 13u}) allowed[r] = 0;
  for (uint32_t row = 0; row < 14; ++row) {
    if (row == 4 || row == 11) continue;
    expect_matches_brute(*m, Side::item, row, 5, allowed);
    for (const auto& [sim, r] : most_similar(*m, Side::item, row, 100, allowed)) EXPECT_TRUE(allowed[r]) << r;
  }
  // The query itself may be filtered out: it is still the query.
  EXPECT_EQ(most_similar(*m, Side::item, 6, 100, allowed).size(), 8u);  // 14 - self - 2 zero - 3 others
}

TEST(RecommendSimilar, Errors) {
  auto m = make_model();
  try {
    most_similar(*m, Side::item, 14, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "item row 14 is outside the model's 14");
  }
  try {
    most_similar(*m, Side::user, 9, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "user row 9 is outside the model's 9");
  }
  try {
    most_similar(*m, Side::item, 0, 3, std::vector<uint8_t>(13, 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "similar: the filter has 13 entries for 14 rows");
  }
}

// ---- find_titles ---------------------------------------------------------------------------

Catalog catalog(std::vector<std::string> titles, std::vector<uint32_t> counts) {
  Catalog c;
  c.titles = std::move(titles);
  c.rating_counts = std::move(counts);
  return c;
}

TEST(RecommendFindTitles, ExactTitleFirstThenMostRated) {
  const Catalog c = catalog({"Toy Story 2 (1999)", "Big (1988)", "Toy Story (1995)",
                             "A Toy Story Remake (2010)", "Toy Story 3 (2010)"},
                            {500, 900, 100, 300, 500});
  // Exact: "Toy Story (1995)" without its year equals the query, so it leads despite fewer
  // ratings; then 0 and 4 (500 each, by row), then 3 (300).
  EXPECT_EQ(find_titles(c, "toy story"), (std::vector<uint32_t>{2, 0, 4, 3}));
  EXPECT_EQ(find_titles(c, "TOY STORY"), (std::vector<uint32_t>{2, 0, 4, 3}));
  EXPECT_EQ(find_titles(c, "tOy StOrY"), (std::vector<uint32_t>{2, 0, 4, 3}));
  // Not exact for anyone: by count alone.
  EXPECT_EQ(find_titles(c, "story"), (std::vector<uint32_t>{0, 4, 3, 2}));
  // "toy story 2" is exact for row 0 only.
  EXPECT_EQ(find_titles(c, "toy story 2"), (std::vector<uint32_t>{0}));
  // The year is part of the searchable title.
  EXPECT_EQ(find_titles(c, "(2010)"), (std::vector<uint32_t>{4, 3}));
  EXPECT_EQ(find_titles(c, "Toy Story (1995)"), (std::vector<uint32_t>{2}));
  EXPECT_TRUE(find_titles(c, "Jumanji").empty());
  EXPECT_TRUE(find_titles(c, "").empty());
}

TEST(RecommendFindTitles, ArticlesAtTheEndAndTitlesWithoutAYear) {
  const Catalog c = catalog({"Matrix Revisited, The (2001)", "Matrix, The (1999)", "Matrix"}, {50, 40, 1});
  EXPECT_EQ(find_titles(c, "matrix, the"), (std::vector<uint32_t>{1}));
  // "Matrix" has no year and is exact as it stands; the other two contain the query.
  EXPECT_EQ(find_titles(c, "MATRIX"), (std::vector<uint32_t>{2, 0, 1}));
}

TEST(RecommendFindTitles, WithoutCountsByRowAndWithoutTitlesNothing) {
  Catalog c = catalog({"Heat (1995)", "Heathers (1989)", "Cold Heat (1990)", "heat (2020)"}, {});
  // Two exact titles (rows 0 and 3) before the others, each group by row.
  EXPECT_EQ(find_titles(c, "Heat"), (std::vector<uint32_t>{0, 3, 1, 2}));
  EXPECT_TRUE(find_titles(Catalog{}, "heat").empty());
}

TEST(RecommendFindTitles, OnlyAsciiLettersFoldCase) {
  const Catalog c = catalog({"Amélie (2001)", "AMÉLIE (2001)"}, {10, 20});
  // 'é' and 'É' are different bytes and stay so; the ASCII letters around them fold.
  EXPECT_EQ(find_titles(c, "amélie"), (std::vector<uint32_t>{0}));
  EXPECT_EQ(find_titles(c, "AMÉlie"), (std::vector<uint32_t>{1}));
  EXPECT_EQ(find_titles(c, "am"), (std::vector<uint32_t>{1, 0}));
}

}  // namespace
}  // namespace cofi
