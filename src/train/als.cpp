#include "cofi/train/als.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "als_impl.h"
#include "cofi/error.h"
#include "cofi/parallel.h"
#include "scale_impl.h"

namespace cofi {

namespace train_detail {

namespace {

// Ratings gathered at a time into the row buffer: 1,024 rows of up to 1,025 floats stay within a
// few MiB even at the largest factor counts, and the products run on blocks large enough to be fast.
constexpr size_t kGather = 1024;

}  // namespace

RowSolver::RowSolver(uint32_t k, bool bias)
    : k_(k),
      k1_(k + (bias ? 1 : 0)),
      z_(static_cast<size_t>(k1_) * kGather),
      gram_(static_cast<size_t>(k1_) * k1_),
      a_(static_cast<size_t>(k1_) * k1_),
      b_(k1_) {}

void RowSolver::solve(const float* other, size_t stride, const uint32_t* idx, const float* t, size_t n,
                      double lambda_f, double lambda_b, float* x) {
  using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  const Eigen::Index k1 = k1_;
  Eigen::Map<MatF> gram(gram_.data(), k1, k1);
  gram.setZero();
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(k1);
  // The Gram matrix Z Z^T and Z t, chunk by chunk: Z holds the gathered rows as columns.
  for (size_t lo = 0; lo < n; lo += kGather) {
    const size_t m = std::min(kGather, n - lo);
    for (size_t j = 0; j < m; ++j) {
      float* col = z_.data() + j * k1_;
      const float* row = other + static_cast<size_t>(idx[lo + j]) * stride;
      std::copy(row, row + k_, col);
      if (k1_ > k_) col[k_] = 1.0f;
    }
    Eigen::Map<const MatF> z(z_.data(), k1, static_cast<Eigen::Index>(m));
    Eigen::Map<const Eigen::VectorXf> tv(t + lo, static_cast<Eigen::Index>(m));
    gram.selfadjointView<Eigen::Lower>().rankUpdate(z);
    rhs += (z * tv).cast<double>();
  }
  // The penalties on the diagonal, then Cholesky in double (k1 is small: the cost is the Gram).
  Eigen::Map<Eigen::MatrixXd> a(a_.data(), k1, k1);
  a = gram.cast<double>();
  for (Eigen::Index d = 0; d < k1; ++d) a(d, d) += d < static_cast<Eigen::Index>(k_) ? lambda_f : lambda_b;
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Lower> llt(a);
  COFI_ASSERT(llt.info() == Eigen::Success);  // positive definite: the penalties are positive
  Eigen::Map<Eigen::VectorXd> sol(b_.data(), k1);
  sol = llt.solve(rhs);
  for (Eigen::Index d = 0; d < k1; ++d) x[d] = static_cast<float>(sol[d]);
}

double RowSolver::residual_sum_of_squares(const float* other, size_t stride, const uint32_t* idx,
                                          const float* t, size_t n, const float* x) const {
  double s = 0;
  for (size_t j = 0; j < n; ++j) {
    const float* row = other + static_cast<size_t>(idx[j]) * stride;
    float pred = k1_ > k_ ? x[k_] : 0.0f;
    for (uint32_t f = 0; f < k_; ++f) pred += row[f] * x[f];
    const double d = static_cast<double>(t[j]) - pred;
    s += d * d;
  }
  return s;
}

namespace {

// The ratings of each row of one side: row r's are [begin[r], begin[r + 1]) of `other` (the other
// side's index) and `rating`. 8 bytes a rating.
struct RowLists {
  std::vector<uint64_t> begin;
  std::vector<uint32_t> other;
  std::vector<float> rating;
};

RowLists lists_by(const Ratings& r, bool by_user, uint32_t rows) {
  const Column<uint32_t>& key = by_user ? r.user : r.item;
  const Column<uint32_t>& other = by_user ? r.item : r.user;
  RowLists out;
  out.begin.assign(static_cast<size_t>(rows) + 1, 0);
  for (size_t j = 0; j < r.size(); ++j) {
    if (key[j] >= rows)
      throw Error(std::string("als: rating ") + std::to_string(j + 1) + " has " +
                  (by_user ? "user" : "item") + " index " + std::to_string(key[j]) + "; the model has " +
                  std::to_string(rows));
    ++out.begin[key[j] + 1];
  }
  std::partial_sum(out.begin.begin(), out.begin.end(), out.begin.begin());
  std::vector<uint64_t> at(out.begin.begin(), out.begin.end() - 1);
  out.other.resize(r.size());
  out.rating.resize(r.size());
  for (size_t j = 0; j < r.size(); ++j) {
    const uint64_t pos = at[key[j]]++;
    out.other[pos] = other[j];
    out.rating[pos] = r.rating[j];
  }
  return out;
}

}  // namespace

}  // namespace train_detail

ScaleFit fit_als(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                 const AlsConfig& config, const TrainCallbacks& callbacks) {
  using namespace train_detail;
  check_scale_inputs(model, train, valid, "als");
  if (model.y_range)
    throw Error("als: the model must not have a y_range (ALS solves least squares of the linear prediction)");
  if (config.sweeps == 0) throw Error("als: sweeps must be at least 1");
  const bool bias = model.kind == ModelKind::dotbias;
  if (!(config.lambda_f > 0) || !std::isfinite(config.lambda_f))
    throw Error("als: the factor penalty lambda_f must be positive, found " + show_number(config.lambda_f));
  if (bias && (!(config.lambda_b > 0) || !std::isfinite(config.lambda_b)))
    throw Error("als: the bias penalty lambda_b must be positive, found " + show_number(config.lambda_b));
  if (!(config.init_std >= 0)) throw Error("als: init_std must be 0 or more");
  const unsigned threads = resolve_threads(config.threads);

  FactorTables tables = make_tables(model, train, false);
  const RowLists by_user = lists_by(train, true, model.n_users);
  const RowLists by_item = lists_by(train, false, model.n_items);
  {
    std::vector<uint32_t> item_counts(model.n_items);
    for (uint32_t i = 0; i < model.n_items; ++i)
      item_counts[i] = static_cast<uint32_t>(by_item.begin[i + 1] - by_item.begin[i]);
    SplitMix64 rng = stream(config.seed, 4);
    fill_normal_rows(tables.item.data(), tables.n_items, tables.stride, tables.k, config.init_std,
                     item_counts.data(), rng);
  }

  // One half sweep: every row of `lists` solved against the other side's current values. Rows go
  // to threads in chunks of 64; returns the sum of squared training errors after the solves when
  // `measure` (per chunk, summed in chunk order, so independent of the thread count).
  auto half_sweep = [&](const RowLists& lists, float* rows, AlignedArray<RowAux>& aux, const float* other,
                        const AlignedArray<RowAux>& other_aux, bool measure) {
    constexpr size_t kRowsPerTask = 64;
    const size_t n_rows = lists.begin.size() - 1;
    const size_t tasks = (n_rows + kRowsPerTask - 1) / kRowsPerTask;
    std::vector<double> sse(tasks, 0.0);
    parallel_for(tasks, threads, [&](size_t task) {
      RowSolver solver(tables.k, bias);
      std::vector<float> target, x(tables.k + 1);
      double s = 0;
      for (size_t r = task * kRowsPerTask; r < std::min(n_rows, (task + 1) * kRowsPerTask); ++r) {
        const uint64_t lo = lists.begin[r], hi = lists.begin[r + 1];
        if (lo == hi) continue;  // no ratings: stays at zero
        const size_t n = hi - lo;
        const uint32_t* idx = lists.other.data() + lo;
        target.resize(n);
        for (size_t j = 0; j < n; ++j)
          target[j] = lists.rating[lo + j] - tables.offset - (bias ? other_aux[idx[j]].bias : 0.0f);
        solver.solve(other, tables.stride, idx, target.data(), n, config.lambda_f, config.lambda_b, x.data());
        std::copy(x.begin(), x.begin() + tables.k, rows + r * tables.stride);
        if (bias) aux[r].bias = x[tables.k];
        if (measure)
          s += solver.residual_sum_of_squares(other, tables.stride, idx, target.data(), n, x.data());
      }
      sse[task] = s;
    });
    return std::accumulate(sse.begin(), sse.end(), 0.0);
  };

  ScaleFit fit;
  for (uint32_t sweep = 1; sweep <= config.sweeps; ++sweep) {
    const auto t0 = std::chrono::steady_clock::now();
    half_sweep(by_user, tables.user.data(), tables.user_aux, tables.item.data(), tables.item_aux, false);
    const double sse =
        half_sweep(by_item, tables.item.data(), tables.item_aux, tables.user.data(), tables.user_aux, true);
    EpochResult r;
    r.epoch = sweep;
    r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.train_loss = sse / static_cast<double>(train.size());
    if (valid && valid->size() > 0) {
      r.has_valid = true;
      r.valid_mse = tables_mse(tables, *valid, {}, {}, kernels_for(KernelIsa::automatic), threads);
      r.valid_rmse = std::sqrt(r.valid_mse);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fit.history.push_back(r);
    if (callbacks.on_batch) callbacks.on_batch(sweep, config.sweeps, r.train_loss);
    if (callbacks.on_epoch) callbacks.on_epoch(r);
    if (callbacks.stop && callbacks.stop->load()) break;
  }
  fit.model = export_model(tables, model, {}, {});
  return fit;
}

}  // namespace cofi
