// What a model learned: item bias extremes on a hand-set model (eligibility by rating count,
// order, ties by row, no answer for models without item biases), the PCA of item factors placed
// on a line and on a plane (explained shares and coordinates known in closed form, the sign
// rule), the most-rated items, and the per-rating account of a prediction checked against the
// ridge regression it comes from, solved here in double.
#include "cofi/recommend/explain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/recommend/fold_in.h"

namespace cofi {
namespace {

Parameter& param(Model& m, const std::string& name) {
  for (auto& p : m.parameters())
    if (p.name == name) return p;
  throw std::runtime_error("no parameter " + name);
}

ModelConfig config(ModelKind kind, uint32_t users, uint32_t items, uint32_t factors) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = users;
  c.n_items = items;
  c.user_factors = c.item_factors = factors;
  c.hidden = {4};
  return c;
}

// ---- item_bias_extremes --------------------------------------------------------------------

SavedModel bias_model() {
  SavedModel m;
  m.model = Model::create(config(ModelKind::dotbias, 3, 7, 2), 1);
  param(*m.model, "i_bias").value = {0.5f, -1.0f, 2.0f, -1.0f, 0.3f, 2.0f, -3.0f};
  // User biases beyond every item bias: taking them by mistake shows.
  param(*m.model, "u_bias").value = {-9.0f, 9.0f, 8.0f};
  m.catalog.rating_counts = {10, 60, 5, 60, 100, 80, 49};
  return m;
}

using Extremes = std::vector<std::pair<float, uint32_t>>;

TEST(RecommendExplain, BiasExtremesAmongItemsWithEnoughRatings) {
  const SavedModel m = bias_model();
  // At least 50 ratings: rows 1 (-1), 3 (-1), 4 (0.3) and 5 (2); row 6 has 49.
  auto b = item_bias_extremes(m, 50, 3);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->eligible, 4u);
  EXPECT_EQ(b->lowest, (Extremes{{-1.0f, 1}, {-1.0f, 3}, {0.3f, 4}}));  // the tie by row
  EXPECT_EQ(b->highest, (Extremes{{2.0f, 5}, {0.3f, 4}, {-1.0f, 1}}));  // the tie by row here too
  b = item_bias_extremes(m, 50, 10);  // n beyond the eligible items: all of them
  EXPECT_EQ(b->lowest, (Extremes{{-1.0f, 1}, {-1.0f, 3}, {0.3f, 4}, {2.0f, 5}}));
  EXPECT_EQ(b->highest, (Extremes{{2.0f, 5}, {0.3f, 4}, {-1.0f, 1}, {-1.0f, 3}}));
  // Every item.
  b = item_bias_extremes(m, 0, 3);
  EXPECT_EQ(b->eligible, 7u);
  EXPECT_EQ(b->lowest, (Extremes{{-3.0f, 6}, {-1.0f, 1}, {-1.0f, 3}}));
  EXPECT_EQ(b->highest, (Extremes{{2.0f, 2}, {2.0f, 5}, {0.5f, 0}}));
  // Exactly min_ratings counts.
  EXPECT_EQ(item_bias_extremes(m, 100, 3)->highest, (Extremes{{0.3f, 4}}));
  EXPECT_EQ(item_bias_extremes(m, 101, 3)->eligible, 0u);
  EXPECT_TRUE(item_bias_extremes(m, 101, 3)->lowest.empty());
  EXPECT_TRUE(item_bias_extremes(m, 0, 0)->highest.empty());
}

TEST(RecommendExplain, BiasExtremesWithoutCountsTakeEveryItem) {
  SavedModel m = bias_model();
  m.catalog.rating_counts.clear();
  auto b = item_bias_extremes(m, 50, 2);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->eligible, 7u);
  EXPECT_EQ(b->lowest, (Extremes{{-3.0f, 6}, {-1.0f, 1}}));
  EXPECT_EQ(b->highest, (Extremes{{2.0f, 2}, {2.0f, 5}}));
}

TEST(RecommendExplain, ModelsWithoutItemBiasesHaveNoExtremes) {
  for (ModelKind kind : {ModelKind::dot, ModelKind::nn})
    for (uint32_t factors : {1u, 3u}) {
      SavedModel m;
      m.model = Model::create(config(kind, 3, 7, factors), 1);
      m.catalog.rating_counts.assign(7, 100);
      // With one factor a model's item table has one column, as a bias would: it is still not one.
      EXPECT_FALSE(item_bias_extremes(m, 0, 3).has_value())
          << to_string(kind) << " with " << factors << " factors";
    }
  // dotbias with one factor: the biases, not the one-column factor table.
  SavedModel m;
  m.model = Model::create(config(ModelKind::dotbias, 3, 4, 1), 1);
  param(*m.model, "i_weight").value = {7.0f, 8.0f, 9.0f, 10.0f};
  param(*m.model, "i_bias").value = {0.25f, -0.5f, 0.75f, 0.0f};
  auto b = item_bias_extremes(m, 0, 1);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->lowest, (Extremes{{-0.5f, 1}}));
  EXPECT_EQ(b->highest, (Extremes{{0.75f, 2}}));
}

// ---- most_rated_items ------------------------------------------------------------------------

TEST(RecommendExplain, MostRatedItemsByCountThenRow) {
  Catalog c;
  c.rating_counts = {5, 9, 9, 1, 0, 9};
  EXPECT_EQ(most_rated_items(c, 4), (std::vector<uint32_t>{1, 2, 5, 0}));
  EXPECT_EQ(most_rated_items(c, 100), (std::vector<uint32_t>{1, 2, 5, 0, 3, 4}));
  EXPECT_TRUE(most_rated_items(c, 0).empty());
  EXPECT_TRUE(most_rated_items(Catalog{}, 10).empty());
}

// ---- item_pca --------------------------------------------------------------------------------

std::unique_ptr<Model> model_with_items(const std::vector<std::vector<float>>& rows) {
  auto m = Model::create(config(ModelKind::dot, 2, static_cast<uint32_t>(rows.size()), 3), 1);
  Parameter& e = param(*m, "i_weight");
  for (uint32_t r = 0; r < rows.size(); ++r) std::copy(rows[r].begin(), rows[r].end(), e.row(r));
  return m;
}

TEST(RecommendExplain, PcaOfItemsOnALine) {
  // Items 0..4 at c + t d; item 5 is off the line and not analysed.
  const std::vector<double> c{0.1, 0.2, -0.3}, d{0.5, -2.0, 1.0};
  const std::vector<double> t{-1.0, 0.5, 2.0, 3.0, -0.25};
  std::vector<std::vector<float>> rows;
  for (double ti : t)
    rows.push_back({float(c[0] + ti * d[0]), float(c[1] + ti * d[1]), float(c[2] + ti * d[2])});
  rows.push_back({4.0f, 4.0f, 4.0f});
  auto m = model_with_items(rows);

  const std::vector<uint32_t> items{3, 0, 4, 1, 2};  // any order: coordinates follow it
  ItemPca pca = item_pca(*m, items, 3);
  EXPECT_EQ(pca.items, items);
  ASSERT_EQ(pca.explained.size(), 3u);
  ASSERT_EQ(pca.coordinates.size(), 3u);
  EXPECT_NEAR(pca.explained[0], 1.0, 1e-6);
  EXPECT_NEAR(pca.explained[1], 0.0, 1e-6);
  EXPECT_NEAR(pca.explained[2], 0.0, 1e-6);
  // The axis is +-d / |d|; d's largest entry (-2) must come out positive, so the axis is -d / |d|
  // and item i sits at -(t_i - mean t) |d|.
  const double t_mean = std::accumulate(t.begin(), t.end(), 0.0) / 5.0;
  const double d_norm = std::sqrt(0.25 + 4.0 + 1.0);
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_NEAR(pca.coordinates[0][i], -(t[items[i]] - t_mean) * d_norm, 1e-5) << "item " << items[i];
    EXPECT_NEAR(pca.coordinates[1][i], 0.0, 1e-3);  // whatever direction, nothing is there
  }
}

TEST(RecommendExplain, PcaOfItemsOnAPlane) {
  // x_i = c + t_i d1 + s_i d2 with d1 = (1, 1, 0) and d2 = (1, -1, 2) orthogonal, t and s centred
  // and uncorrelated: the variances along them are sum t^2 |d1|^2 = 36 * 2 = 72 and
  // sum s^2 |d2|^2 = 4 * 6 = 24, so the shares are 72/96 = 0.75 and 24/96 = 0.25. The largest
  // loading of each axis is positive (d1: 1/sqrt 2, d2: 2/sqrt 6), so item i sits at
  // (t_i sqrt 2, s_i sqrt 6).
  const double t[4] = {3, 3, -3, -3}, s[4] = {1, -1, 1, -1};
  const double c[3] = {5, -1, 0.5};
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 4; ++i)
    rows.push_back({float(c[0] + t[i] + s[i]), float(c[1] + t[i] - s[i]), float(c[2] + 2 * s[i])});
  auto m = model_with_items(rows);
  const std::vector<uint32_t> items{0, 1, 2, 3};
  ItemPca pca = item_pca(*m, items, 2);
  ASSERT_EQ(pca.explained.size(), 2u);
  EXPECT_NEAR(pca.explained[0], 0.75, 1e-6);
  EXPECT_NEAR(pca.explained[1], 0.25, 1e-6);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(pca.coordinates[0][i], t[i] * std::sqrt(2.0), 1e-5) << i;
    EXPECT_NEAR(pca.coordinates[1][i], s[i] * std::sqrt(6.0), 1e-5) << i;
  }
  // A mirrored model gives the same signs: the sign rule, not the solver, decides them.
  for (auto& r : rows)
    for (int f = 0; f < 3; ++f) r[f] = -r[f];
  ItemPca mirrored = item_pca(*model_with_items(rows), items, 2);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(mirrored.coordinates[0][i], -t[i] * std::sqrt(2.0), 1e-5) << i;
    EXPECT_NEAR(mirrored.coordinates[1][i], -s[i] * std::sqrt(6.0), 1e-5) << i;
  }
}

TEST(RecommendExplain, PcaErrors) {
  auto m = model_with_items({{1, 2, 3}, {3, 2, 1}, {0, 0, 1}});
  auto message = [&](std::vector<uint32_t> items, size_t components) -> std::string {
    try {
      item_pca(*m, items, components);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(message({1}, 1), "pca: needs at least 2 items, found 1");
  EXPECT_EQ(message({}, 1), "pca: needs at least 2 items, found 0");
  EXPECT_EQ(message({0, 1}, 0), "pca: components must be 1..3, found 0");
  EXPECT_EQ(message({0, 1}, 4), "pca: components must be 1..3, found 4");
  EXPECT_EQ(message({0, 3}, 1), "pca: item row 3 is outside the model");
  EXPECT_EQ(message({0, 1, 2}, 3), "(no error)");
}

// ---- explain_prediction ----------------------------------------------------------------------

// Solves a x = b (n x n, row-major) by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<double> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t piv = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r * n + col]) > std::fabs(a[piv * n + col])) piv = r;
    for (size_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[piv * n + k]);
    std::swap(b[col], b[piv]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r * n + col] / a[col * n + col];
      for (size_t k = col; k < n; ++k) a[r * n + k] -= f * a[col * n + k];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t r = n; r-- > 0;) {
    double s = b[r];
    for (size_t k = r + 1; k < n; ++k) s -= a[r * n + k] * x[k];
    x[r] = s / a[r * n + r];
  }
  return x;
}

TEST(RecommendExplain, EffectsOfALinearModelSumToTheUserPartOfThePrediction) {
  // dotbias without y_range is linear in the user's vector x = (factors, bias):
  //   f_j(x) = J_j . x + b_j,  J_j = (item j's factors, 1),  b_j = item j's bias.
  // The fold-in solution is the ridge regression x* = A^-1 J^T (y - b), A = J^T J + l2 I, and
  // explain_prediction splits J_item . x* into effect_j = J_item A^-1 J_j^T (y_j - b_j).
  ModelConfig c = config(ModelKind::dotbias, 2, 9, 3);
  c.y_range = false;
  auto m = Model::create(c, 1);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& p : m->parameters())
    for (float& x : p.value) x = u(rng);
  const std::vector<uint32_t> rated{0, 2, 3, 5, 7};
  const std::vector<float> ratings{4.0f, 2.5f, 5.0f, 1.0f, 3.5f};
  const double l2 = 0.7;
  FoldInOptions fo;
  fo.l2 = l2;
  const FoldInResult fit = fold_in(*m, Side::user, rated.data(), ratings.data(), rated.size(), fo);
  ASSERT_EQ(fit.vector.size(), 4u);

  // The ridge solution, in double.
  const size_t d = 4;
  const Parameter& iw = param(*m, "i_weight");
  const Parameter& ib = param(*m, "i_bias");
  auto jac = [&](uint32_t item) {
    return std::vector<double>{iw.row(item)[0], iw.row(item)[1], iw.row(item)[2], 1.0};
  };
  std::vector<double> a(d * d, 0.0), rhs(d, 0.0);
  for (size_t j = 0; j < rated.size(); ++j) {
    const auto jj = jac(rated[j]);
    for (size_t r = 0; r < d; ++r) {
      for (size_t k = 0; k < d; ++k) a[r * d + k] += jj[r] * jj[k];
      rhs[r] += jj[r] * (ratings[j] - ib.value[rated[j]]);
    }
  }
  for (size_t r = 0; r < d; ++r) a[r * d + r] += l2;
  const std::vector<double> x = solve(a, rhs);
  for (size_t r = 0; r < d; ++r) EXPECT_NEAR(fit.vector[r], x[r], 1e-5) << "fold-in component " << r;

  for (uint32_t item : {1u, 4u, 6u, 8u, 2u}) {
    const auto ji = jac(item);
    const std::vector<double> t = solve(a, ji);  // A^-1 J_item^T (A symmetric)
    std::vector<Contribution> parts = explain_prediction(*m, fit.vector.data(), rated, ratings, item, l2);
    ASSERT_EQ(parts.size(), rated.size());
    double sum = 0;
    for (size_t k = 0; k < parts.size(); ++k) {
      sum += parts[k].effect;
      if (k > 0) {
        EXPECT_GE(parts[k - 1].effect, parts[k].effect) << "largest first";
      }
      // Each effect, by hand.
      size_t j = std::find(rated.begin(), rated.end(), parts[k].item) - rated.begin();
      ASSERT_LT(j, rated.size());
      EXPECT_EQ(parts[k].rating, ratings[j]);
      const auto jj = jac(rated[j]);
      double want = 0;
      for (size_t r = 0; r < d; ++r) want += jj[r] * t[r];
      want *= ratings[j] - ib.value[rated[j]];
      EXPECT_NEAR(parts[k].effect, want, 1e-5) << "item " << item << " rated " << parts[k].item;
    }
    // J_item . x: the prediction less the item's own bias.
    double user_part = fit.vector[3];
    for (int f = 0; f < 3; ++f) user_part += static_cast<double>(iw.row(item)[f]) * fit.vector[f];
    EXPECT_NEAR(sum, user_part, 1e-4) << "item " << item;
    float pred = 0;
    m->predict_row(Side::user, fit.vector.data(), &item, 1, &pred, nullptr);
    EXPECT_NEAR(sum + ib.value[item], pred, 1e-4) << "item " << item;
  }
}

}  // namespace
}  // namespace cofi
