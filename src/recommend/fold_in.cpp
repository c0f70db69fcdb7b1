#include "cofi/recommend/fold_in.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>

#include "cofi/error.h"

namespace cofi {

namespace {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

// L(x), with predictions (n) and the Jacobian (n x d, row-major floats) at x.
double objective(const Model& model, Side side, const std::vector<float>& x, const std::vector<float>& prior,
                 const uint32_t* others, const float* ratings, size_t n, double l2, std::vector<float>& pred,
                 std::vector<float>* jac) {
  pred.resize(n);
  if (jac) jac->resize(n * x.size());
  model.predict_row(side, x.data(), others, n, pred.data(), jac ? jac->data() : nullptr);
  double loss = 0;
  for (size_t j = 0; j < n; ++j) {
    const double r = static_cast<double>(pred[j]) - ratings[j];
    loss += r * r;
  }
  double norm = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const double v = static_cast<double>(x[k]) - prior[k];
    norm += v * v;
  }
  return loss + l2 * norm;
}

// The start: zero factors, and for a model with a bias in the vector (its last entry when the
// vector is longer than the embedding) the bias whose predictions best match the mean rating,
// found by bisection (predictions increase with the bias).
std::vector<float> default_start(const Model& model, Side side, const std::vector<float>& prior,
                                 const uint32_t* others, const float* ratings, size_t n) {
  const size_t d = model.side_size(side);
  std::vector<float> x = prior;
  if (n == 0 || d == 0 || d == model.embedding(side).cols) return x;
  double mean = 0;
  for (size_t j = 0; j < n; ++j) mean += ratings[j];
  mean /= static_cast<double>(n);
  std::vector<float> pred(n);
  auto mean_at = [&](float b) {
    x.back() = b;
    model.predict_row(side, x.data(), others, n, pred.data(), nullptr);
    double s = 0;
    for (float p : pred) s += p;
    return s / static_cast<double>(n);
  };
  float lo = -10.0f, hi = 10.0f;
  for (int it = 0; it < 40; ++it) {
    float mid = 0.5f * (lo + hi);
    (mean_at(mid) < mean ? lo : hi) = mid;
  }
  x.back() = 0.5f * (lo + hi);
  return x;
}

}  // namespace

FoldInResult fold_in(const Model& model, Side side, const uint32_t* others, const float* ratings, size_t n,
                     const FoldInOptions& options, const float* start) {
  if (!(options.l2 >= 0)) throw Error("fold-in: l2 must be 0 or more, found " + std::to_string(options.l2));
  for (size_t j = 0; j < n; ++j)
    if (!std::isfinite(ratings[j]))
      throw Error("fold-in: rating " + std::to_string(j + 1) + " is not a finite number");
  const size_t d = model.side_size(side);
  if (!options.prior.empty() && options.prior.size() != d)
    throw Error("fold-in: the prior has " + std::to_string(options.prior.size()) + " values, the vector " +
                std::to_string(d));
  const std::vector<float> prior = options.prior.empty() ? std::vector<float>(d, 0.0f) : options.prior;
  FoldInResult res;
  res.vector =
      start ? std::vector<float>(start, start + d) : default_start(model, side, prior, others, ratings, n);
  std::vector<float> pred, jac, trial_pred, trial_jac;
  double loss = objective(model, side, res.vector, prior, others, ratings, n, options.l2, pred, &jac);
  if (n == 0) {
    res.loss = loss;
    res.converged = true;
    return res;
  }
  // Levenberg-Marquardt: (J^T J + (l2 + mu) I) dx = -(J^T r + l2 x). mu starts at 0 (a pure
  // Gauss-Newton step, exact for a linear model) and grows only when a step fails to help.
  double mu = 0;
  std::vector<float> trial(d);
  for (res.iterations = 0; res.iterations < options.max_iterations;) {
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> jm(
        jac.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
    const Matrix j = jm.cast<double>();
    Vector r(static_cast<Eigen::Index>(n));
    for (size_t k = 0; k < n; ++k) r[static_cast<Eigen::Index>(k)] = static_cast<double>(pred[k]) - ratings[k];
    Vector x = Eigen::Map<const Eigen::VectorXf>(res.vector.data(), static_cast<Eigen::Index>(d)).cast<double>();
    const Vector p =
        Eigen::Map<const Eigen::VectorXf>(prior.data(), static_cast<Eigen::Index>(d)).cast<double>();
    Matrix a = j.transpose() * j;
    const Vector g = j.transpose() * r + options.l2 * (x - p);
    bool improved = false;
    while (!improved && res.iterations < options.max_iterations) {
      ++res.iterations;
      Matrix damped = a;
      damped.diagonal().array() += options.l2 + mu + 1e-12;
      const Vector step = damped.ldlt().solve(-g);
      for (size_t k = 0; k < d; ++k) trial[k] = static_cast<float>(x[static_cast<Eigen::Index>(k)] + step[static_cast<Eigen::Index>(k)]);
      const double trial_loss =
          objective(model, side, trial, prior, others, ratings, n, options.l2, trial_pred, &trial_jac);
      if (std::isfinite(trial_loss) && trial_loss <= loss) {
        const double gain = loss - trial_loss;
        res.vector.swap(trial);
        // The trial's predictions and Jacobian are the new point's: no second pass through the model.
        pred.swap(trial_pred);
        jac.swap(trial_jac);
        loss = trial_loss;
        mu *= 0.1;
        improved = true;
        if (gain <= options.tolerance * std::max(loss, 1e-300)) {
          res.converged = true;
          break;
        }
      } else {
        const double scale = std::max(1.0, a.diagonal().maxCoeff());
        mu = mu == 0 ? 1e-3 * scale : mu * 10;
        // Even tiny steps along the gradient fail to help: at float precision, the minimum.
        if (mu > 1e12 * scale) {
          res.converged = true;
          break;
        }
      }
    }
    if (res.converged || !improved) break;
  }
  res.loss = loss;
  double sse = 0;
  for (size_t k = 0; k < n; ++k) sse += (static_cast<double>(pred[k]) - ratings[k]) * (pred[k] - ratings[k]);
  res.train_rmse = std::sqrt(sse / static_cast<double>(n));
  return res;
}

double calibrate_fold_in_l2(const Model& model, const UserItems& history, size_t max_users, double fallback) {
  if (history.empty()) return fallback;
  const size_t d = model.side_size(Side::user);
  std::vector<float> x(d), part(d), pred, jac;
  std::vector<double> values;
  const Features& features = model.features(Side::user);
  const bool has_features = model.config().kind == ModelKind::hybrid && features.rows() > 0;
  const size_t users = history.n_users();
  // An even spread of users rather than the first ones: ids often follow sign-up order.
  const size_t stride = std::max<size_t>(1, users / std::max<size_t>(1, max_users));
  for (size_t u = 0; u < users && values.size() < max_users; u += stride) {
    auto items = history.items_of(static_cast<uint32_t>(u));
    auto ratings = history.ratings_of(static_cast<uint32_t>(u));
    if (items.size() < 5) continue;
    model.side_vector(Side::user, static_cast<uint32_t>(u), x.data());
    pred.resize(items.size());
    jac.resize(items.size() * d);
    model.predict_row(Side::user, x.data(), items.data(), items.size(), pred.data(), jac.data());
    // The id part: the row minus what its features contribute (nothing for other kinds).
    std::fill(part.begin(), part.end(), 0.0f);
    if (has_features)
      model.feature_vector(Side::user, features.index_of(u), features.weight_of(u), part.data());
    double num = 0, norm = 0;
    for (size_t j = 0; j < items.size(); ++j) {
      double jx = 0;
      for (size_t k = 0; k < d; ++k) jx += static_cast<double>(jac[j * d + k]) * (x[k] - part[k]);
      num += (static_cast<double>(pred[j]) - ratings[j]) * jx;
    }
    for (size_t k = 0; k < d; ++k)
      norm += (static_cast<double>(x[k]) - part[k]) * (static_cast<double>(x[k]) - part[k]);
    if (norm > 0) values.push_back(-num / norm);
  }
  if (values.empty()) return fallback;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                   values.end());
  const double median = values[values.size() / 2];
  // A model trained without regularisation can give a median at or below 0; fold-in still
  // needs a little ridge to be well posed with fewer ratings than factors.
  return std::max(median, 1e-3);
}

}  // namespace cofi
