// ALS with biases: one row's solve equals the normal equations solved directly in double, a whole
// run learns the low-rank model and lowers the objective every sweep, the result is the same bit for
// bit with one or two threads, the Model scores what ALS reported, and bad settings are errors.
#include "cofi/train/als.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Dense>

#include <cmath>

#include "als_impl.h"
#include "cofi/error.h"
#include "cofi/random.h"
#include "cofi/train/trainer.h"
#include "train/scale_fixtures.h"

namespace {

using namespace cofi;
using testing::HasSubstr;

// min_x |t - Z x|^2 + x^T diag(pen) x, solved as (Z^T Z + diag(pen)) x = Z^T t with a full-pivot LU.
Eigen::VectorXd direct_solve(const Eigen::MatrixXd& z, const Eigen::VectorXd& t, const Eigen::VectorXd& pen) {
  Eigen::MatrixXd a = z.transpose() * z;
  a.diagonal() += pen;
  return a.fullPivLu().solve(z.transpose() * t);
}

TEST(Als, RowSolveEqualsTheNormalEquations) {
  const uint32_t k = 7;
  const size_t stride = 8, rows = 40;
  std::vector<float> other(rows * stride, 0.0f);
  SplitMix64 rng(3);
  for (size_t r = 0; r < rows; ++r)
    for (uint32_t f = 0; f < k; ++f) other[r * stride + f] = static_cast<float>(rng.uniform() - 0.5);
  // n = 0 (no data), fewer ratings than unknowns, and more ratings than fit in one gathered chunk.
  for (size_t n : {size_t{0}, size_t{3}, size_t{25}, size_t{2500}})
    for (bool bias : {false, true}) {
      std::vector<uint32_t> idx(n);
      std::vector<float> t(n);
      for (size_t j = 0; j < n; ++j) {
        idx[j] = static_cast<uint32_t>(rng.below(rows));
        t[j] = static_cast<float>(4.0 * rng.uniform() - 2.0);
      }
      train_detail::RowSolver solver(k, bias);
      std::vector<float> x(k + 1, -99.0f);
      solver.solve(other.data(), stride, idx.data(), t.data(), n, 0.7, 0.3, x.data());
      const uint32_t k1 = k + (bias ? 1 : 0);
      Eigen::MatrixXd z(n, k1);
      Eigen::VectorXd tv(n), pen = Eigen::VectorXd::Constant(k1, 0.7);
      if (bias) pen[k] = 0.3;
      for (size_t j = 0; j < n; ++j) {
        for (uint32_t f = 0; f < k; ++f) z(static_cast<Eigen::Index>(j), f) = other[idx[j] * stride + f];
        if (bias) z(static_cast<Eigen::Index>(j), k) = 1.0;
        tv[static_cast<Eigen::Index>(j)] = t[j];
      }
      const Eigen::VectorXd want = n ? direct_solve(z, tv, pen) : Eigen::VectorXd::Zero(k1);
      for (uint32_t f = 0; f < k1; ++f)
        EXPECT_NEAR(x[f], want[f], 2e-4 * (1 + std::abs(want[f]))) << n << " " << f;
      if (!bias) {
        EXPECT_EQ(x[k], -99.0f) << "without a bias only k values are written";
      }
      // The residual sum of squares, against the direct one.
      std::vector<float> xf(x.begin(), x.begin() + k1);
      Eigen::VectorXd xd(k1);
      for (uint32_t f = 0; f < k1; ++f) xd[f] = xf[f];
      const double want_rss = n ? (tv - z * xd).squaredNorm() : 0.0;
      EXPECT_NEAR(solver.residual_sum_of_squares(other.data(), stride, idx.data(), t.data(), n, x.data()),
                  want_rss, 1e-4 * (1 + want_rss));
    }
}

ModelConfig config_for(const test::LowRankData& d, ModelKind kind, uint32_t k) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = static_cast<uint32_t>(d.train.n_users());
  c.n_items = static_cast<uint32_t>(d.train.n_items());
  c.user_factors = c.item_factors = k;
  c.y_range = false;
  return c;
}

const test::LowRankData& data() {
  static const test::LowRankData d = test::low_rank_data(400, 300, 0.25, 3, 0.3, 23);
  return d;
}

// The objective of scale.h for a trained model, with mu folded into the item biases as exported.
double objective(const Model& m, const Ratings& train, double lambda_f, double lambda_b) {
  std::vector<float> pred(train.size());
  m.predict(train.user.data(), train.item.data(), train.size(), pred.data());
  double sse = 0;
  for (size_t k = 0; k < train.size(); ++k) sse += (pred[k] - train.rating[k]) * (pred[k] - train.rating[k]);
  double mean = 0;
  for (float r : train.rating) mean += r;
  mean /= static_cast<double>(train.size());
  double pen = 0;
  for (const Parameter& p : m.parameters()) {
    const bool item_bias = p.name == "i_bias", weight = p.name == "u_weight" || p.name == "i_weight";
    for (float v : p.value) {
      const double b = item_bias ? v - static_cast<float>(mean) : v;
      pen += (weight ? lambda_f : lambda_b) * b * b;
    }
  }
  return sse + pen;
}

TEST(Als, LearnsAndLowersTheObjectiveEverySweep) {
  const auto& d = data();
  const ModelConfig c = config_for(d, ModelKind::dotbias, 6);
  double previous = INFINITY;
  for (uint32_t sweeps = 1; sweeps <= 6; ++sweeps) {
    AlsConfig cfg;
    cfg.sweeps = sweeps;
    cfg.lambda_f = 3;
    cfg.lambda_b = 2;
    ScaleFit f = fit_als(c, d.train, &d.valid, cfg);
    const double obj = objective(*f.model, d.train, cfg.lambda_f, cfg.lambda_b);
    EXPECT_LE(obj, previous * (1 + 1e-6)) << "sweep " << sweeps;
    previous = obj;
    if (sweeps == 6) {
      EXPECT_LT(f.history.back().valid_mse, 1.5 * d.noise_mse);
    }
  }
}

TEST(Als, DotLearnsToo) {
  const auto& d = data();
  AlsConfig cfg;
  cfg.sweeps = 8;
  cfg.lambda_f = 1;
  ScaleFit f = fit_als(config_for(d, ModelKind::dot, 6), d.train, &d.valid, cfg);
  EXPECT_LT(f.history.back().valid_mse, 0.5 * test::mean_predictor_mse(d));
}

TEST(Als, SameModelBitForBitWhateverTheThreads) {
  const auto& d = data();
  AlsConfig one;
  one.sweeps = 3;
  one.threads = 1;
  AlsConfig two = one;
  two.threads = 2;
  const ModelConfig c = config_for(d, ModelKind::dotbias, 5);
  ScaleFit a = fit_als(c, d.train, &d.valid, one), b = fit_als(c, d.train, &d.valid, two);
  for (size_t p = 0; p < a.model->parameters().size(); ++p)
    EXPECT_EQ(a.model->parameters()[p].value, b.model->parameters()[p].value)
        << a.model->parameters()[p].name;
  EXPECT_EQ(a.history.back().valid_mse, b.history.back().valid_mse);
  EXPECT_EQ(a.history.back().train_loss, b.history.back().train_loss);
}

TEST(Als, TheModelScoresWhatAlsReported) {
  const auto& d = data();
  AlsConfig cfg;
  cfg.sweeps = 3;
  ScaleFit f = fit_als(config_for(d, ModelKind::dotbias, 5), d.train, &d.valid, cfg);
  const double valid = mean_squared_error(*f.model, d.valid, 1);
  EXPECT_NEAR(valid, f.history.back().valid_mse, 1e-5 * valid);
  const double train = mean_squared_error(*f.model, d.train, 1);
  EXPECT_NEAR(train, f.history.back().train_loss, 1e-4 * train);
}

TEST(Als, BadSettingsAreClearErrors) {
  const auto& d = data();
  ModelConfig c = config_for(d, ModelKind::dotbias, 4);
  auto message = [&](const ModelConfig& mc, const AlsConfig& cfg) {
    try {
      fit_als(mc, d.train, &d.valid, cfg);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  AlsConfig cfg;
  cfg.sweeps = 1;
  ModelConfig ranged = c;
  ranged.y_range = true;
  EXPECT_EQ(message(ranged, cfg),
            "als: the model must not have a y_range (ALS solves least squares of the linear prediction)");
  AlsConfig zero = cfg;
  zero.lambda_f = 0;
  EXPECT_EQ(message(c, zero), "als: the factor penalty lambda_f must be positive, found 0");
  zero = cfg;
  zero.lambda_b = 0;
  EXPECT_EQ(message(c, zero), "als: the bias penalty lambda_b must be positive, found 0");
  ModelConfig dot = c;
  dot.kind = ModelKind::dot;
  EXPECT_EQ(message(dot, zero), "no error") << "dot has no bias to penalise";
  zero = cfg;
  zero.sweeps = 0;
  EXPECT_EQ(message(c, zero), "als: sweeps must be at least 1");
  ModelConfig nn = c;
  nn.kind = ModelKind::nn;
  EXPECT_EQ(message(nn, cfg), "als: trains dot and dotbias models, not nn");
  // Ratings whose indices go past their own id maps (only a bug elsewhere makes them) are refused
  // before anything is written.
  Ratings bad = d.train;
  std::vector<uint32_t> items = bad.item.to_vector();
  items[2] = 300;
  bad.item = Column<uint32_t>(items);
  try {
    fit_als(c, bad, nullptr, cfg);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "als: rating 3 has item index 300; the model has 300");
  }
}

}  // namespace
