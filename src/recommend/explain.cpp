#include "cofi/recommend/explain.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <numeric>

#include "cofi/error.h"

namespace cofi {

std::vector<float> item_biases(const Model& model) {
  // An item-keyed table of one column other than the item embedding: with one factor, dot's and
  // nn's embedding has one column too and is not a bias.
  const Parameter* bias = nullptr;
  if (model.side_size(Side::item) == 0) return {};  // content: items have no tables
  const Parameter* embedding = &model.embedding(Side::item);
  for (const auto& p : model.parameters())
    if (p.sparse && p.key == RowKey::item && p.cols == 1 && &p != embedding) bias = &p;
  if (!bias) return {};
  // The bias is the last entry of an item's vector (dotbias: the table's value; hybrid: plus what
  // the item's features add to it).
  std::vector<float> vec(model.side_size(Side::item)), out(bias->rows);
  for (uint32_t i = 0; i < bias->rows; ++i) {
    model.side_vector(Side::item, i, vec.data());
    out[i] = vec.back();
  }
  return out;
}

std::optional<BiasExtremes> item_bias_extremes(const SavedModel& m, uint32_t min_ratings, size_t n) {
  const std::vector<float> biases = item_biases(*m.model);
  if (biases.empty()) return std::nullopt;
  const auto& counts = m.catalog.rating_counts;
  std::vector<std::pair<float, uint32_t>> eligible;
  for (uint32_t i = 0; i < biases.size(); ++i)
    if (counts.empty() || counts[i] >= min_ratings) eligible.push_back({biases[i], i});
  BiasExtremes out;
  out.eligible = eligible.size();
  const size_t k = std::min(n, eligible.size());
  auto low_first = [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  };
  auto high_first = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::vector<std::pair<float, uint32_t>> v = eligible;
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), low_first);
  out.lowest.assign(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k));
  std::partial_sort(eligible.begin(), eligible.begin() + static_cast<std::ptrdiff_t>(k), eligible.end(),
                    high_first);
  out.highest.assign(eligible.begin(), eligible.begin() + static_cast<std::ptrdiff_t>(k));
  return out;
}

std::vector<uint32_t> most_rated_items(const Catalog& catalog, size_t n) {
  std::vector<uint32_t> rows(catalog.rating_counts.size());
  std::iota(rows.begin(), rows.end(), 0u);
  const size_t k = std::min(n, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(k), rows.end(),
                    [&](uint32_t a, uint32_t b) {
                      return catalog.rating_counts[a] > catalog.rating_counts[b] ||
                             (catalog.rating_counts[a] == catalog.rating_counts[b] && a < b);
                    });
  rows.resize(k);
  return rows;
}

ItemPca item_pca(const Model& model, std::span<const uint32_t> items, size_t components) {
  const size_t dims = model.representation_size(Side::item);
  const auto k = static_cast<Eigen::Index>(dims);
  if (items.size() < 2) throw Error("pca: needs at least 2 items, found " + std::to_string(items.size()));
  if (components < 1 || components > dims)
    throw Error("pca: components must be 1.." + std::to_string(dims) + ", found " +
                std::to_string(components));
  const auto n = static_cast<Eigen::Index>(items.size());
  Eigen::MatrixXd x(n, k);
  std::vector<float> rep(dims);
  for (Eigen::Index r = 0; r < n; ++r) {
    const uint32_t row = items[static_cast<size_t>(r)];
    if (row >= model.config().n_items)
      throw Error("pca: item row " + std::to_string(row) + " is outside the model");
    model.representation(Side::item, row, rep.data());
    for (Eigen::Index f = 0; f < k; ++f) x(r, f) = rep[static_cast<size_t>(f)];
  }
  x.rowwise() -= x.colwise().mean();
  // The right singular vectors of x are the eigenvectors of x^T x (k x k, cheap for any n).
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(x.transpose() * x);
  const Eigen::VectorXd values = eig.eigenvalues();  // ascending
  const double total = std::max(values.sum(), 1e-300);
  ItemPca out;
  out.items.assign(items.begin(), items.end());
  for (size_t c = 0; c < components; ++c) {
    const Eigen::Index col = k - 1 - static_cast<Eigen::Index>(c);
    Eigen::VectorXd axis = eig.eigenvectors().col(col);
    Eigen::Index at = 0;
    axis.cwiseAbs().maxCoeff(&at);
    if (axis[at] < 0) axis = -axis;
    const Eigen::VectorXd proj = x * axis;
    out.explained.push_back(std::max(0.0, values[col]) / total);
    out.coordinates.emplace_back(static_cast<size_t>(n));
    for (Eigen::Index r = 0; r < n; ++r)
      out.coordinates.back()[static_cast<size_t>(r)] = static_cast<float>(proj[r]);
  }
  return out;
}

std::vector<Contribution> explain_prediction(const Model& model, const float* user_vector,
                                             std::span<const uint32_t> rated, std::span<const float> ratings,
                                             uint32_t item, double l2, const float* prior) {
  COFI_ASSERT(rated.size() == ratings.size());
  const size_t d = model.side_size(Side::user);
  const size_t n = rated.size();
  std::vector<float> pred(n), jac(n * d), item_pred(1), item_jac(d);
  model.predict_row(Side::user, user_vector, rated.data(), n, pred.data(), jac.data());
  model.predict_row(Side::user, user_vector, &item, 1, item_pred.data(), item_jac.data());
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXd j =
      Eigen::Map<const RowMatrix>(jac.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d))
          .cast<double>();
  Eigen::MatrixXd a = j.transpose() * j;
  a.diagonal().array() += std::max(l2, 1e-9);
  // t = A^-1 J_item^T (A is symmetric), so effect_j = (J_j . t) w_j.
  const Eigen::VectorXd ji =
      Eigen::Map<const Eigen::VectorXf>(item_jac.data(), static_cast<Eigen::Index>(d)).cast<double>();
  const Eigen::VectorXd t = a.ldlt().solve(ji);
  // The part the ratings explain: the vector minus the prior its ridge pulls toward.
  Eigen::VectorXd x =
      Eigen::Map<const Eigen::VectorXf>(user_vector, static_cast<Eigen::Index>(d)).cast<double>();
  if (prior) x -= Eigen::Map<const Eigen::VectorXf>(prior, static_cast<Eigen::Index>(d)).cast<double>();
  std::vector<Contribution> out(n);
  for (size_t r = 0; r < n; ++r) {
    const auto row = j.row(static_cast<Eigen::Index>(r));
    const double w = row.dot(x) - (static_cast<double>(pred[r]) - ratings[r]);
    out[r] = {rated[r], ratings[r], row.dot(t) * w};
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Contribution& p, const Contribution& q) { return p.effect > q.effect; });
  return out;
}

}  // namespace cofi
