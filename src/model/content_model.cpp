// `content`: a content-based recommender as a model kind, so that every command that takes a model
// (eval, recommend, similar, explain) works with it unchanged. With V item features:
//   t_i = (w_if * idf_f)_f / |(w_if * idf_f)_f|      item i's unit TF-IDF profile (V, sparse)
//   prediction(u, i) = u_mean[u] + u_profile[u] . t_i
// where u_profile[u] = scale * P_u / |P_u| and P_u = sum_j (r_uj - u_mean[u]) t_j over the items
// the user rated: the prediction is the user's mean plus scale times the cosine between the
// user's taste and the item (cofi/train/content.h fits it; no gradient training). Ranking by it
// is ranking by cosine: no collaborative signal, no popularity.
// Parameters (none trainable by the optimizer):
//   u_profile  n_users x V   sparse, keyed by user   P_u / |P_u| * scale
//   u_mean     n_users x 1   sparse, keyed by user   the user's (damped) mean rating
//   idf        V x 1         dense                   inverse document frequency of each feature
// A user's vector is [profile (V), mean]: the prediction is linear in it, so fold-in of a newcomer
// is ridge regression of their ratings on the profiles of the items they rated. Items have no
// vector: an item is its features.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "model_impl.h"

namespace cofi::model_detail {
namespace {

constexpr size_t kProfile = 0, kMean = 1, kIdf = 2;

class ContentModel final : public Model {
 public:
  explicit ContentModel(const ModelConfig& config) : Model(config) {
    const uint32_t v = config.item_features;
    params_.push_back(make_parameter("u_profile", config.n_users, v, RowKey::user, /*trainable=*/false));
    params_.push_back(make_parameter("u_mean", config.n_users, 1, RowKey::user, false));
    params_.push_back(make_parameter("idf", v, 1, RowKey::none, false));
    // Before fitting: every feature weighs the same.
    fill_constant(params_[kIdf], 1.0f);
  }

  void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
               uint64_t /*seed*/) override {
    if (training)
      throw Error("model content is fitted in closed form (cofi/train/content.h), not by gradients");
    predict(users, items, n, out);
  }
  void backward(const float* /*dout*/, Gradients& /*grads*/) override {
    throw Error("model content has no gradients: it is fitted in closed form");
  }

  void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const override {
    check_indices(config_, users, items, n);
    std::vector<std::pair<uint32_t, float>> t;
    for (size_t b = 0; b < n; ++b) {
      item_profile(items[b], t);
      out[b] = score(params_[kProfile].row(users[b]), params_[kMean].value[users[b]], t);
    }
  }

  void predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                   float* jacobian) const override {
    if (side == Side::item)
      throw Error(
          "model content: an item is given by its features, not by a vector (use its features instead)");
    check_side_indices(config_, Side::item, others, n);
    const uint32_t v = config_.item_features;
    std::vector<std::pair<uint32_t, float>> t;
    for (size_t b = 0; b < n; ++b) {
      item_profile(others[b], t);
      out[b] = score(vec, vec[v], t);
      if (jacobian) {
        // d out / d profile = t (sparse), d out / d mean = 1.
        float* j = jacobian + b * (v + 1);
        std::fill(j, j + v + 1, 0.0f);
        for (const auto& [f, x] : t) j[f] = x;
        j[v] = 1.0f;
      }
    }
  }

  void score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
                   bool /*item_bias: there is none*/) const override {
    COFI_ASSERT(item_begin <= item_end && item_end <= config_.n_items);
    const uint32_t v = config_.item_features;
    const size_t m = item_end - item_begin;
    // Each item's profile once per call (a few entries each), then a sparse dot per user.
    std::vector<std::pair<uint32_t, float>> t;
    for (size_t j = 0; j < m; ++j) {
      item_profile(item_begin + static_cast<uint32_t>(j), t);
      for (size_t r = 0; r < n; ++r) {
        const float* u = user_vectors + r * (v + 1);
        out[r * m + j] = score(u, u[v], t);
      }
    }
  }

  size_t representation_size(Side /*side*/) const override { return config_.item_features; }
  void representation(Side side, uint32_t row, float* out) const override {
    const uint32_t rows = side == Side::user ? config_.n_users : config_.n_items;
    if (row >= rows)
      throw Error(std::string(side == Side::user ? "user" : "item") + " row " + std::to_string(row) +
                  " is outside the model's " + std::to_string(rows));
    const uint32_t v = config_.item_features;
    if (side == Side::user) {
      std::copy(params_[kProfile].row(row), params_[kProfile].row(row) + v, out);
      return;
    }
    std::fill(out, out + v, 0.0f);
    std::vector<std::pair<uint32_t, float>> t;
    item_profile(row, t);
    for (const auto& [f, x] : t) out[f] = x;
  }

 private:
  // Item `row`'s unit TF-IDF profile as (feature, value) entries; empty without features.
  void item_profile(uint32_t row, std::vector<std::pair<uint32_t, float>>& t) const {
    t.clear();
    const auto index = item_features_.index_of(row);
    const auto weight = item_features_.weight_of(row);
    const float* idf = params_[kIdf].value.data();
    double norm = 0;
    for (size_t j = 0; j < index.size(); ++j) {
      const float x = weight[j] * idf[index[j]];
      t.push_back({index[j], x});
      norm += static_cast<double>(x) * x;
    }
    if (norm <= 0) {
      t.clear();
      return;
    }
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (auto& e : t) e.second *= inv;
  }

  // mean + profile . t, the sum over t's entries in order.
  static float score(const float* profile, float mean, const std::vector<std::pair<uint32_t, float>>& t) {
    float dot = 0.0f;
    for (const auto& [f, x] : t) dot += profile[f] * x;
    return mean + dot;
  }
};

}  // namespace

std::unique_ptr<Model> make_content_model(const ModelConfig& config) {
  return std::make_unique<ContentModel>(config);
}

}  // namespace cofi::model_detail
