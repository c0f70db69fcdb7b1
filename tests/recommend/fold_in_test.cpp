// Fold-in: it finds the minimum of its ridge objective (zero gradient by finite differences),
// equals the closed-form ridge solution for a linear model, and recovers a training user's
// learned row from their ratings (the acceptance test), for every model kind.
#include "cofi/recommend/fold_in.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include <Eigen/Dense>

#include "cofi/data/dataset.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "cofi/train/trainer.h"

namespace {

using namespace cofi;

// L(x) of fold_in.h computed from predictions alone (no Jacobian), in double.
double ridge_loss(const Model& m, Side side, const std::vector<float>& x, const std::vector<uint32_t>& others,
                  const std::vector<float>& y, double l2) {
  std::vector<float> p(others.size());
  m.predict_row(side, x.data(), others.data(), others.size(), p.data(), nullptr);
  double l = 0;
  for (size_t j = 0; j < p.size(); ++j) l += (static_cast<double>(p[j]) - y[j]) * (p[j] - y[j]);
  for (float v : x) l += l2 * v * v;
  return l;
}

std::unique_ptr<Model> small_model(ModelKind kind, bool y_range, uint64_t seed) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = 7;
  c.n_items = 30;
  c.user_factors = c.item_factors = kind == ModelKind::nn ? 6 : 5;
  c.y_range = y_range;
  c.hidden = {8};
  auto m = Model::create(c, seed);
  // Larger values than the 0.01-scale initialisation, so that the sigmoid and ReLUs bend.
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> n(0, 0.7f);
  for (auto& p : m->parameters())
    if (p.trainable && p.name.find(".2.") == std::string::npos)
      for (float& v : p.value) v = n(rng);
  return m;
}

TEST(FoldIn, ReachesAStationaryPointOfItsObjective) {
  for (ModelKind kind : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn})
    for (bool y_range : {false, true})
      for (Side side : {Side::user, Side::item}) {
        auto m = small_model(kind, y_range, 3);
        const uint32_t other_rows = side == Side::user ? 30 : 7;
        std::vector<uint32_t> others;
        std::vector<float> y;
        std::mt19937 rng(9);
        for (uint32_t j = 0; j < other_rows; j += 2) {
          others.push_back(j);
          y.push_back(static_cast<float>(1 + rng() % 9) / 2.0f);
        }
        FoldInOptions o;
        o.l2 = 0.3;
        FoldInResult r = fold_in(*m, side, others.data(), y.data(), others.size(), o);
        SCOPED_TRACE(std::string(to_string(kind)) + (y_range ? " y_range" : "") +
                     (side == Side::user ? " user" : " item"));
        EXPECT_NEAR(r.loss, ridge_loss(*m, side, r.vector, others, y, o.l2), 1e-3 * r.loss);
        // The gradient by central differences is ~0, relative to the loss's scale. (Not for nn:
        // its ReLUs put kinks in L, and a minimum can sit on one, where L has no gradient.)
        if (kind != ModelKind::nn) {
          EXPECT_TRUE(r.converged);
        }
        for (size_t k = 0; k < r.vector.size() && kind != ModelKind::nn; ++k) {
          std::vector<float> a = r.vector, b = r.vector;
          const float h = 1e-2f;
          a[k] += h;
          b[k] -= h;
          double g =
              (ridge_loss(*m, side, a, others, y, o.l2) - ridge_loss(*m, side, b, others, y, o.l2)) / (2 * h);
          EXPECT_NEAR(g, 0.0, 2e-2 * std::max(1.0, r.loss)) << "coordinate " << k;
        }
        // And it is a minimum: no nearby point is lower, in any of a few random directions (for
        // nn, not by more than 0.1%: at a kink, Gauss-Newton's linear model of each side differs
        // and the last fraction is left).
        const double slack = kind == ModelKind::nn ? 1e-3 : 1e-5;
        std::normal_distribution<float> dir(0, 0.03f);
        for (int trial = 0; trial < 20; ++trial) {
          std::vector<float> a = r.vector;
          for (float& v : a) v += dir(rng);
          EXPECT_GE(ridge_loss(*m, side, a, others, y, o.l2), r.loss * (1 - slack));
        }
      }
}

TEST(FoldIn, EqualsClosedFormRidgeForALinearModel) {
  auto m = small_model(ModelKind::dotbias, /*y_range=*/false, 5);
  const Parameter& items = m->parameters()[1];
  const Parameter& item_bias = m->parameters()[3];
  std::vector<uint32_t> rated = {0, 3, 4, 8, 11, 12, 20, 29};
  std::vector<float> y = {4, 3.5f, 1, 5, 2.5f, 3, 4.5f, 2};
  const double l2 = 0.8;
  // min |A x - (y - b_i)|^2 + l2 |x|^2 with rows A_j = [item factors, 1]: (A^T A + l2 I) x = A^T (y - b).
  Eigen::MatrixXd a(rated.size(), 6);
  Eigen::VectorXd t(rated.size());
  for (size_t j = 0; j < rated.size(); ++j) {
    for (int f = 0; f < 5; ++f) a(j, f) = items.row(rated[j])[f];
    a(j, 5) = 1;
    t[j] = y[j] - item_bias.value[rated[j]];
  }
  Eigen::MatrixXd lhs = a.transpose() * a + l2 * Eigen::MatrixXd::Identity(6, 6);
  Eigen::VectorXd want = lhs.ldlt().solve(a.transpose() * t);
  FoldInOptions o;
  o.l2 = l2;
  FoldInResult r = fold_in(*m, Side::user, rated.data(), y.data(), rated.size(), o);
  ASSERT_EQ(r.vector.size(), 6u);
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(r.vector[k], want[k], 1e-4) << k;
}

TEST(FoldIn, RejectsBadInput) {
  auto m = small_model(ModelKind::dotbias, true, 1);
  std::vector<uint32_t> rated = {1, 30};
  std::vector<float> y = {4, 3};
  try {
    fold_in(*m, Side::user, rated.data(), y.data(), 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model: item index 30 at row 1 is out of range (the model has 30 items)");
  }
  rated = {1, 2};
  y = {4, NAN};
  try {
    fold_in(*m, Side::user, rated.data(), y.data(), 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fold-in: rating 2 is not a finite number");
  }
  FoldInOptions o;
  o.l2 = -1;
  EXPECT_THROW(fold_in(*m, Side::user, rated.data(), y.data(), 1, o), Error);
  FoldInResult none = fold_in(*m, Side::user, rated.data(), y.data(), 0);
  EXPECT_EQ(none.vector, std::vector<float>(6, 0.0f));
}

double cosine(const std::vector<float>& a, const std::vector<float>& b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t k = 0; k < n; ++k) {
    ab += static_cast<double>(a[k]) * b[k];
    aa += static_cast<double>(a[k]) * a[k];
    bb += static_cast<double>(b[k]) * b[k];
  }
  return ab / std::sqrt(aa * bb);
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  const double n = static_cast<double>(a.size());
  double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double ab = 0, aa = 0, bb = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    ab += (a[k] - ma) * (b[k] - mb);
    aa += (a[k] - ma) * (a[k] - ma);
    bb += (b[k] - mb) * (b[k] - mb);
  }
  return ab / std::sqrt(aa * bb);
}

// The recipe's model trained on ml-100k; fold-in of a training user from their own training
// ratings, with the l2 calibrated on the model, gives back (nearly) the row training learned.
TEST(FoldIn, ReproducesTrainingUsersOnMl100k) {
  LoadOptions lo;
  lo.side_data = false;
  Dataset d = load_dataset("ml-100k", lo);
  for (ModelKind kind : {ModelKind::dotbias, ModelKind::nn}) {
    SCOPED_TRACE(to_string(kind));
    ModelConfig c;
    c.kind = kind;
    c.n_users = static_cast<uint32_t>(d.ratings.n_users());
    c.n_items = static_cast<uint32_t>(d.ratings.n_items());
    c.user_factors = c.item_factors = kind == ModelKind::nn ? 0 : 50;
    c.y_min = 0.0f;
    c.y_max = 5.5f;
    auto model = Model::create(c, 1);
    TrainConfig t;
    t.epochs = 5;
    t.batch_size = 64;
    t.schedule.lr = 5e-3;
    fit(*model, d.ratings, nullptr, t);
    UserItems h = group_by_user(d.ratings, c.n_users);
    const double l2 = calibrate_fold_in_l2(*model, h);
    EXPECT_GT(l2, 0.0);
    const size_t dim = model->side_size(Side::user);
    std::vector<uint32_t> all(c.n_items);
    std::iota(all.begin(), all.end(), 0u);
    double worst_corr = 1, sum_corr = 0, sum_cos = 0;  // worst: of users with 100+ ratings
    int users = 0;
    for (uint32_t u = 0; u < c.n_users; u += 19) {
      auto items = h.items_of(u);
      auto ratings = h.ratings_of(u);
      FoldInOptions o;
      o.l2 = l2;
      FoldInResult r = fold_in(*model, Side::user, items.data(), ratings.data(), items.size(), o);
      std::vector<float> learned(dim);
      model->side_vector(Side::user, u, learned.data());
      std::vector<float> p_fold(c.n_items), p_learned(c.n_items);
      model->predict_row(Side::user, r.vector.data(), all.data(), all.size(), p_fold.data(), nullptr);
      model->predict_row(Side::user, learned.data(), all.data(), all.size(), p_learned.data(), nullptr);
      const double corr = correlation(p_fold, p_learned);
      // Few ratings pin a row down loosely, so training's path and fold-in's ridge can part
      // more; users with many ratings must agree closely.
      if (items.size() >= 100) worst_corr = std::min(worst_corr, corr);
      sum_corr += corr;
      sum_cos += cosine(r.vector, learned, model->embedding(Side::user).cols);
      ++users;
    }
    const double mean_corr = sum_corr / users, mean_cos = sum_cos / users;
    RecordProperty(std::string(to_string(kind)) + "_mean_corr", std::to_string(mean_corr));
    std::printf(
        "%s: l2 %.3f, %d users: predictions' correlation mean %.4f (worst with 100+ ratings %.4f); "
        "factor cosine mean %.4f\n",
        to_string(kind), l2, users, mean_corr, worst_corr, mean_cos);
    EXPECT_GT(mean_corr, 0.95);
    EXPECT_GT(worst_corr, 0.9);
    if (kind == ModelKind::dotbias) {
      EXPECT_GT(mean_cos, 0.9);
    }
  }
}

}  // namespace
