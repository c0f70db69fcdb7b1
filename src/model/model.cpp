#include "cofi/model/model.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "cofi/error.h"
#include "model_impl.h"

namespace cofi {

std::unique_ptr<Model> Model::create(const ModelConfig& config, uint64_t seed) {
  validate(config);
  switch (config.kind) {
    case ModelKind::dot:
      return model_detail::make_dot_model(config, seed);
    case ModelKind::dotbias:
      return model_detail::make_dotbias_model(config, seed);
    case ModelKind::nn: {
      ModelConfig resolved = config;
      if (resolved.user_factors == 0) resolved.user_factors = fastai_embedding_size(resolved.n_users);
      if (resolved.item_factors == 0) resolved.item_factors = fastai_embedding_size(resolved.n_items);
      return model_detail::make_nn_model(resolved, seed);
    }
    case ModelKind::hybrid:
      return model_detail::make_hybrid_model(config, seed);
    case ModelKind::content:
      return model_detail::make_content_model(config);
  }
  throw Error("model: unknown kind " + std::to_string(static_cast<int>(config.kind)));
}

namespace {

// Placeholder names "feature 0", "feature 1", ... until set_features gives the real ones.
Features placeholder_features(uint32_t names, uint32_t rows) {
  std::vector<std::string> v(names);
  for (uint32_t k = 0; k < names; ++k) v[k] = "feature " + std::to_string(k);
  return empty_features(std::move(v), rows);
}

}  // namespace

Model::Model(ModelConfig config) : config_(std::move(config)) {
  if (!uses_features(config_.kind)) return;
  if (config_.kind == ModelKind::hybrid)
    user_features_ = placeholder_features(config_.user_features, config_.n_users);
  item_features_ = placeholder_features(config_.item_features, config_.n_items);
}

void Model::set_features(Side side, Features features) {
  const char* what = side == Side::user ? "user" : "item";
  const std::string prefix = std::string("model ") + to_string(config_.kind) + ": " + what + " features";
  const bool takes =
      config_.kind == ModelKind::hybrid || (config_.kind == ModelKind::content && side == Side::item);
  if (!takes) throw Error(prefix + ": this kind takes none");
  const uint32_t vocabulary = side == Side::user ? config_.user_features : config_.item_features;
  if (features.names.size() != vocabulary)
    throw Error(prefix + ": " + std::to_string(features.names.size()) + " names, the config says " +
                std::to_string(vocabulary));
  check_features(features, side == Side::user ? config_.n_users : config_.n_items, prefix);
  (side == Side::user ? user_features_ : item_features_) = std::move(features);
}

void Model::feature_vector(Side side, std::span<const uint32_t> /*index*/, std::span<const float> /*weight*/,
                           float* out) const {
  std::fill(out, out + side_size(side), 0.0f);
}

size_t Model::representation_size(Side side) const { return embedding(side).cols; }

void Model::representation(Side side, uint32_t row, float* out) const {
  const Parameter& e = embedding(side);
  if (row >= e.rows)
    throw Error(std::string(side == Side::user ? "user" : "item") + " row " + std::to_string(row) +
                " is outside the model's " + std::to_string(e.rows));
  std::copy(e.row(row), e.row(row) + e.cols, out);
}

size_t Model::side_size(Side side) const {
  size_t n = 0;
  for (const auto& p : params_)
    if (p.sparse && p.key == row_key(side)) n += p.cols;
  return n;
}

void Model::side_vector(Side side, uint32_t row, float* out) const {
  const uint32_t rows = side == Side::user ? config_.n_users : config_.n_items;
  if (row >= rows)
    throw Error(std::string(side == Side::user ? "user" : "item") + " index " + std::to_string(row) +
                " is outside the model's " + std::to_string(rows));
  float* const start = out;
  for (const auto& p : params_)
    if (p.sparse && p.key == row_key(side)) {
      std::copy(p.row(row), p.row(row) + p.cols, out);
      out += p.cols;
    }
  // hybrid: plus what the row's features contribute.
  const Features& f = features(side);
  if (config_.kind == ModelKind::hybrid && f.rows() > 0 && !f.index_of(row).empty()) {
    std::vector<float> part(side_size(side));
    feature_vector(side, f.index_of(row), f.weight_of(row), part.data());
    for (size_t k = 0; k < part.size(); ++k) start[k] += part[k];
  }
}

const Parameter& Model::embedding(Side side) const {
  for (const auto& p : params_)
    if (p.sparse && p.key == row_key(side) && p.cols > 1) return p;
  for (const auto& p : params_)  // an embedding of size 1
    if (p.sparse && p.key == row_key(side)) return p;
  throw Error(std::string("model ") + to_string(config_.kind) + " has no " +
              (side == Side::user ? "user" : "item") + " embedding");
}

namespace {

// The kinds with nothing to prepare: their own score_items.
class DirectScorer final : public Model::ItemScorer {
 public:
  explicit DirectScorer(const Model& model) : model_(model) {}
  void score(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
             bool item_bias) const override {
    model_.score_items(user_vectors, n, item_begin, item_end, out, item_bias);
  }

 private:
  const Model& model_;
};

}  // namespace

std::unique_ptr<Model::ItemScorer> Model::item_scorer() const { return std::make_unique<DirectScorer>(*this); }

void Model::score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end,
                        float* out, bool /*item_bias: no separate item bias in this kind*/) const {
  // The general path: each user's predictions for the items, one predict_row call per user.
  COFI_ASSERT(item_begin <= item_end && item_end <= config_.n_items);
  const size_t m = item_end - item_begin;
  std::vector<uint32_t> items(m);
  for (size_t j = 0; j < m; ++j) items[j] = item_begin + static_cast<uint32_t>(j);
  const size_t d = side_size(Side::user);
  for (size_t u = 0; u < n; ++u)
    predict_row(Side::user, user_vectors + u * d, items.data(), m, out + u * m, nullptr);
}

namespace model_detail {

Parameter make_parameter(std::string name, uint32_t rows, uint32_t cols, RowKey key, bool trainable) {
  Parameter p;
  p.name = std::move(name);
  p.rows = rows;
  p.cols = cols;
  p.sparse = key != RowKey::none;
  p.key = key;
  p.trainable = trainable;
  p.value.assign(static_cast<size_t>(rows) * cols, 0.0f);
  return p;
}

void fill_uniform(Parameter& p, float lo, float hi, SplitMix64& rng) {
  const double width = static_cast<double>(hi) - lo;
  // Rounding to float can land on hi itself (u close to 1); step back so the range stays half-open.
  const float below_hi = std::nextafter(hi, lo);
  for (float& x : p.value) {
    auto v = static_cast<float>(lo + width * rng.uniform());
    x = v < hi ? v : below_hi;
  }
}

void fill_all_trunc_normal(std::vector<Parameter>& params, float stddev, uint64_t seed) {
  for (size_t i = 0; i < params.size(); ++i) {
    SplitMix64 rng = stream(seed, i);
    fill_trunc_normal(params[i], stddev, rng);
  }
}

void fill_trunc_normal(Parameter& p, float stddev, SplitMix64& rng) {
  // Box-Muller, both values of each pair used. u1 is in (0, 1] so that log(u1) is finite.
  constexpr double kTwoPi = 6.283185307179586476925;
  for (size_t i = 0; i < p.value.size(); i += 2) {
    double u1 = 1.0 - rng.uniform();
    double u2 = rng.uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    double z[2] = {r * std::cos(kTwoPi * u2), r * std::sin(kTwoPi * u2)};
    for (size_t j = 0; j < 2 && i + j < p.value.size(); ++j)
      p.value[i + j] = static_cast<float>(std::fmod(z[j], 2.0) * stddev);
  }
}

void fill_constant(Parameter& p, float value) { p.value.assign(p.value.size(), value); }

void check_side_indices(const ModelConfig& config, Side side, const uint32_t* others, size_t n) {
  const uint32_t rows = side == Side::user ? config.n_users : config.n_items;
  const char* what = side == Side::user ? "user" : "item";
  for (size_t b = 0; b < n; ++b)
    if (others[b] >= rows)
      throw Error(std::string("model: ") + what + " index " + std::to_string(others[b]) + " at row " +
                  std::to_string(b) + " is out of range (the model has " + std::to_string(rows) + " " + what +
                  "s)");
}

void check_indices(const ModelConfig& config, const uint32_t* users, const uint32_t* items, size_t n) {
  // One compare a row, kept out of the models' loops; the error case is found in a second pass.
  uint32_t max_user = 0, max_item = 0;
  for (size_t b = 0; b < n; ++b) {
    max_user = users[b] > max_user ? users[b] : max_user;
    max_item = items[b] > max_item ? items[b] : max_item;
  }
  if (n == 0 || (max_user < config.n_users && max_item < config.n_items)) return;
  for (size_t b = 0; b < n; ++b) {
    if (users[b] >= config.n_users)
      throw Error("model: user index " + std::to_string(users[b]) + " at row " + std::to_string(b) +
                  " is out of range (the model has " + std::to_string(config.n_users) + " users)");
    if (items[b] >= config.n_items)
      throw Error("model: item index " + std::to_string(items[b]) + " at row " + std::to_string(b) +
                  " is out of range (the model has " + std::to_string(config.n_items) + " items)");
  }
}

}  // namespace model_detail
}  // namespace cofi
