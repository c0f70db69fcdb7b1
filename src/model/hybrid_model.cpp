// `hybrid`: LightFM's representation in fastai's EmbeddingDotBias. A user's representation is their
// id embedding plus the weighted sum of their feature embeddings, and their bias likewise; the same
// for items:
//   U = u_weight[u] + sum_f w_uf uf_weight[f]        k      (f over the user's features)
//   I = i_weight[i] + sum_g w_ig if_weight[g]        k
//   x = U . I + (u_bias[u] + sum_f w_uf uf_bias[f]) + (i_bias[i] + sum_g w_ig if_bias[g])
//   prediction = sigmoid(x) * (y_max - y_min) + y_min   (or x without y_range)
// An item with no ratings but with genres has a representation (its id rows stay at zero, see
// cofi train); so has a user with only demographics. With id_dropout p, a training pair's user
// (item) is seen without its id rows with probability p, so that the feature part is trained to
// predict alone, as it has to for cold rows.
// Parameters, all fastai's trunc_normal_(std 0.01), with k factors, UF user and IF item features:
//   u_weight       n_users x k    sparse, keyed by user
//   i_weight       n_items x k    sparse, keyed by item
//   u_bias         n_users x 1    sparse, keyed by user
//   i_bias         n_items x 1    sparse, keyed by item
//   u_feat_weight  UF x k         dense
//   i_feat_weight  IF x k         dense
//   u_feat_bias    UF x 1         dense
//   i_feat_bias    IF x 1         dense
// The feature tables are dense parameters: every step updates all their rows (exact Adam, as
// PyTorch would), which costs (UF + IF) x (k + 1) a step. Vocabularies of a few thousand features
// cost little next to a batch; the lazy row updates of the id tables need the rows a batch reads
// before its forward pass, and those are the batch's users and items, not their features.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/random.h"
#include "model_impl.h"
#include "score_kernels.h"

namespace cofi::model_detail {
namespace {

constexpr size_t kUserWeight = 0, kItemWeight = 1, kUserBias = 2, kItemBias = 3;
constexpr size_t kUserFeatWeight = 4, kItemFeatWeight = 5, kUserFeatBias = 6, kItemFeatBias = 7;

class HybridModel final : public Model {
 public:
  explicit HybridModel(const ModelConfig& config) : Model(config) {
    const uint32_t k = config.user_factors;
    params_.push_back(make_parameter("u_weight", config.n_users, k, RowKey::user));
    params_.push_back(make_parameter("i_weight", config.n_items, k, RowKey::item));
    params_.push_back(make_parameter("u_bias", config.n_users, 1, RowKey::user));
    params_.push_back(make_parameter("i_bias", config.n_items, 1, RowKey::item));
    params_.push_back(make_parameter("u_feat_weight", config.user_features, k, RowKey::none));
    params_.push_back(make_parameter("i_feat_weight", config.item_features, k, RowKey::none));
    params_.push_back(make_parameter("u_feat_bias", config.user_features, 1, RowKey::none));
    params_.push_back(make_parameter("i_feat_bias", config.item_features, 1, RowKey::none));
  }

  void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
               uint64_t seed) override {
    has_batch_ = false;
    if (!training) {
      predict(users, items, n, out);
      return;
    }
    check_indices(config_, users, items, n);
    const uint32_t k = config_.user_factors;
    users_.assign(users, users + n);
    items_.assign(items, items + n);
    slope_.resize(n);
    u_rep_.resize(n * k);
    i_rep_.resize(n * k);
    keep_user_.assign(n, 1);
    keep_item_.assign(n, 1);
    if (config_.id_dropout > 0.0f) {
      // Counter-based draws: pair b's user draws position 2b + 1 of the stream keyed by the
      // batch's seed, its item 2b + 2, so the masks depend on the seed and the batch only.
      const uint64_t key = mix64(seed ^ 0x6a09e667f3bcc909ULL);
      const double p = config_.id_dropout;
      for (size_t b = 0; b < n; ++b) {
        keep_user_[b] = draw(key, 2 * b + 1) >= p;
        keep_item_[b] = draw(key, 2 * b + 2) >= p;
      }
    }
    for (size_t b = 0; b < n; ++b) {
      float* u = u_rep_.data() + b * k;
      float* it = i_rep_.data() + b * k;
      const float ub = represent(Side::user, users[b], u, keep_user_[b]);
      const float ib = represent(Side::item, items[b], it, keep_item_[b]);
      out[b] = finish(u, it, ub, ib, &slope_[b]);
    }
    has_batch_ = true;
  }

  void backward(const float* dout, Gradients& grads) override {
    COFI_ASSERT(has_batch_);
    const uint32_t k = config_.user_factors;
    float* guf = grads.dense[kUserFeatWeight].data();
    float* gif = grads.dense[kItemFeatWeight].data();
    float* gub = grads.dense[kUserFeatBias].data();
    float* gib = grads.dense[kItemFeatBias].data();
    for (size_t b = 0; b < users_.size(); ++b) {
      // d out / d U = g I, d out / d I = g U, d out / d(either bias) = g, with g the chain
      // through the sigmoid; a feature's rows get the same times its weight.
      const float g = dout[b] * slope_[b];
      const float* u = u_rep_.data() + b * k;
      const float* it = i_rep_.data() + b * k;
      // A row whose id part was dropped for this pair gets no gradient from it.
      if (keep_user_[b]) {
        float* gu = grads.sparse[kUserWeight].touch(users_[b]);
        for (uint32_t f = 0; f < k; ++f) gu[f] += g * it[f];
        *grads.sparse[kUserBias].touch(users_[b]) += g;
      }
      if (keep_item_[b]) {
        float* gi = grads.sparse[kItemWeight].touch(items_[b]);
        for (uint32_t f = 0; f < k; ++f) gi[f] += g * u[f];
        *grads.sparse[kItemBias].touch(items_[b]) += g;
      }
      scatter(user_features_, users_[b], g, it, guf, gub);
      scatter(item_features_, items_[b], g, u, gif, gib);
    }
  }

  void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const override {
    check_indices(config_, users, items, n);
    const uint32_t k = config_.user_factors;
    std::vector<float> u(k), it(k);
    for (size_t b = 0; b < n; ++b) {
      const float ub = represent(Side::user, users[b], u.data());
      const float ib = represent(Side::item, items[b], it.data());
      out[b] = finish(u.data(), it.data(), ub, ib, nullptr);
    }
  }

  void predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                   float* jacobian) const override {
    // vec = [representation (k), bias], features included; the other side's from its rows.
    const Side other = side == Side::user ? Side::item : Side::user;
    check_side_indices(config_, other, others, n);
    const uint32_t k = config_.user_factors;
    std::vector<float> o(k);
    for (size_t b = 0; b < n; ++b) {
      const float ob = represent(other, others[b], o.data());
      float s = 1.0f;
      out[b] =
          side == Side::user ? finish(vec, o.data(), vec[k], ob, &s) : finish(o.data(), vec, ob, vec[k], &s);
      if (jacobian) {
        float* j = jacobian + b * (k + 1);
        for (uint32_t f = 0; f < k; ++f) j[f] = s * o[f];
        j[k] = s;
      }
    }
  }

  void score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
                   bool item_bias) const override {
    COFI_ASSERT(item_begin <= item_end && item_end <= config_.n_items);
    // The items' representations (m x k) and biases, then the product as for dotbias: their cost
    // is m x (features per item) x k, small next to a block's n x m x k, but not next to one
    // user's m x k (item_scorer prepares them once for that).
    const uint32_t k = config_.user_factors;
    std::vector<float> reps, biases;
    item_representations(item_begin, item_end, reps, biases);
    score_bilinear(user_vectors, n, k + 1, reps.data(), item_end - item_begin, k, true,
                   item_bias ? biases.data() : nullptr, out);
  }

  std::unique_ptr<ItemScorer> item_scorer() const override {
    auto scorer = std::make_unique<PreparedScorer>();
    scorer->k = config_.user_factors;
    item_representations(0, config_.n_items, scorer->reps, scorer->biases);
    return scorer;
  }

  void feature_vector(Side side, std::span<const uint32_t> index, std::span<const float> weight,
                      float* out) const override {
    COFI_ASSERT(index.size() == weight.size());
    const uint32_t k = config_.user_factors;
    const Parameter& table = params_[side == Side::user ? kUserFeatWeight : kItemFeatWeight];
    const float* bias = params_[side == Side::user ? kUserFeatBias : kItemFeatBias].value.data();
    std::fill(out, out + k + 1, 0.0f);
    for (size_t j = 0; j < index.size(); ++j) {
      if (index[j] >= table.rows)
        throw Error(std::string("model hybrid: ") + (side == Side::user ? "user" : "item") + " feature " +
                    std::to_string(index[j]) + " is outside its " + std::to_string(table.rows) + " features");
      const float* e = table.row(index[j]);
      for (uint32_t f = 0; f < k; ++f) out[f] += weight[j] * e[f];
      out[k] += weight[j] * bias[index[j]];
    }
  }

  size_t representation_size(Side /*side*/) const override { return config_.user_factors; }
  void representation(Side side, uint32_t row, float* out) const override {
    const uint32_t rows = side == Side::user ? config_.n_users : config_.n_items;
    if (row >= rows)
      throw Error(std::string(side == Side::user ? "user" : "item") + " row " + std::to_string(row) +
                  " is outside the model's " + std::to_string(rows));
    represent(side, row, out);
  }

 private:
  // A uniform draw in [0, 1) from position `at` of the stream keyed by `key`.
  static double draw(uint64_t key, uint64_t at) {
    return static_cast<double>(mix64(key + at * 0x9e3779b97f4a7c15ULL) >> 11) * 0x1p-53;
  }

  // Every item's representation and bias, prepared once (item_scorer).
  struct PreparedScorer final : ItemScorer {
    uint32_t k = 0;
    std::vector<float> reps, biases;  // n_items x k, n_items
    void score(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
               bool item_bias) const override {
      COFI_ASSERT(item_begin <= item_end && size_t{item_end} * k <= reps.size());
      score_bilinear(user_vectors, n, k + 1, reps.data() + size_t{item_begin} * k, item_end - item_begin, k,
                     true, item_bias ? biases.data() + item_begin : nullptr, out);
    }
  };

  // Items [begin, end)'s representations (row-major, k each) and biases.
  void item_representations(uint32_t begin, uint32_t end, std::vector<float>& reps,
                            std::vector<float>& biases) const {
    const uint32_t k = config_.user_factors;
    reps.resize(size_t{end - begin} * k);
    biases.resize(end - begin);
    for (uint32_t i = begin; i < end; ++i)
      biases[i - begin] = represent(Side::item, i, reps.data() + size_t{i - begin} * k);
  }

  // A row's representation into rep (k floats); returns its bias. Id rows (unless `with_id` is
  // false: id dropout) plus weighted feature rows.
  float represent(Side side, uint32_t row, float* rep, bool with_id = true) const {
    const uint32_t k = config_.user_factors;
    const bool user = side == Side::user;
    const float* id = params_[user ? kUserWeight : kItemWeight].row(row);
    float bias = 0.0f;
    if (with_id) {
      std::copy(id, id + k, rep);
      bias = params_[user ? kUserBias : kItemBias].value[row];
    } else {
      std::fill(rep, rep + k, 0.0f);
    }
    const Features& f = user ? user_features_ : item_features_;
    const Parameter& table = params_[user ? kUserFeatWeight : kItemFeatWeight];
    const float* fb = params_[user ? kUserFeatBias : kItemFeatBias].value.data();
    const auto index = f.index_of(row);
    const auto weight = f.weight_of(row);
    for (size_t j = 0; j < index.size(); ++j) {
      const float* e = table.row(index[j]);
      const float w = weight[j];
      for (uint32_t c = 0; c < k; ++c) rep[c] += w * e[c];
      bias += w * fb[index[j]];
    }
    return bias;
  }

  // The prediction from two representations and biases; *slope (may be null) gets d out / dx.
  float finish(const float* u, const float* it, float ub, float ib, float* slope) const {
    const uint32_t k = config_.user_factors;
    float x = 0.0f;
    for (uint32_t f = 0; f < k; ++f) x += u[f] * it[f];
    x = x + ub + ib;  // fastai's order: dot + user bias + item bias
    float s = 1.0f;
    const float out = config_.y_range ? sigmoid_range(x, config_.y_min, config_.y_max, &s) : x;
    if (slope) *slope = s;
    return out;
  }

  // Adds g * w * other (k) and g * w into the dense gradients of row `row`'s features.
  void scatter(const Features& f, uint32_t row, float g, const float* other, float* gweight,
               float* gbias) const {
    const uint32_t k = config_.user_factors;
    const auto index = f.index_of(row);
    const auto weight = f.weight_of(row);
    for (size_t j = 0; j < index.size(); ++j) {
      const float gw = g * weight[j];
      float* ge = gweight + static_cast<size_t>(index[j]) * k;
      for (uint32_t c = 0; c < k; ++c) ge[c] += gw * other[c];
      gbias[index[j]] += gw;
    }
  }

  // The training batch, kept for backward(): indices (n), slopes (n), representations (n x k),
  // and whether each pair's user and item kept their id part (id dropout).
  bool has_batch_ = false;
  std::vector<uint32_t> users_, items_;
  std::vector<float> slope_, u_rep_, i_rep_;
  std::vector<uint8_t> keep_user_, keep_item_;
};

}  // namespace

std::unique_ptr<Model> make_hybrid_model(const ModelConfig& config, uint64_t seed) {
  auto model = std::make_unique<HybridModel>(config);
  fill_all_trunc_normal(model->parameters(), 0.01f, seed);
  return model;
}

}  // namespace cofi::model_detail
