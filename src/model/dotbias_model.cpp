// `dotbias`: fastai's EmbeddingDotBias. prediction = sigmoid(user . item + user bias + item bias)
// * (y_max - y_min) + y_min, or the raw sum when y_range is off. Parameters, all fastai's
// trunc_normal_(std 0.01):
//   u_weight  n_users x k
//   i_weight  n_items x k
//   u_bias    n_users x 1
//   i_bias    n_items x 1
#include <memory>
#include <vector>

#include "cofi/error.h"
#include "model_impl.h"

namespace cofi::model_detail {
namespace {

class DotBiasModel final : public Model {
 public:
  DotBiasModel(const ModelConfig& config, uint64_t seed) : Model(config) {
    params_.push_back(make_parameter("u_weight", config.n_users, config.user_factors, RowKey::user));
    params_.push_back(make_parameter("i_weight", config.n_items, config.item_factors, RowKey::item));
    params_.push_back(make_parameter("u_bias", config.n_users, 1, RowKey::user));
    params_.push_back(make_parameter("i_bias", config.n_items, 1, RowKey::item));
    for (size_t i = 0; i < params_.size(); ++i) {
      SplitMix64 rng = stream(seed, i);
      fill_trunc_normal(params_[i], 0.01f, rng);
    }
  }

  void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
               uint64_t /*seed: no dropout here*/) override {
    has_batch_ = false;  // until this batch is complete: backward() after a throw is a bug
    if (!training) {
      predict(users, items, n, out);
      return;
    }
    check_indices(config_, users, items, n);
    users_.assign(users, users + n);
    items_.assign(items, items + n);
    slope_.resize(n);
    run(users, items, n, out, slope_.data());
    has_batch_ = true;
  }

  void backward(const float* dout, Gradients& grads) override {
    COFI_ASSERT(has_batch_);
    const uint32_t k = config_.user_factors;
    const Parameter& uw = params_[0];
    const Parameter& iw = params_[1];
    for (size_t b = 0; b < users_.size(); ++b) {
      // The sum's gradient is g for each bias, g * i for u and g * u for i, with g the chain
      // through the sigmoid.
      const float g = dout[b] * slope_[b];
      const float* u = uw.row(users_[b]);
      const float* it = iw.row(items_[b]);
      float* gu = grads.sparse[0].touch(users_[b]);
      float* gi = grads.sparse[1].touch(items_[b]);
      for (uint32_t f = 0; f < k; ++f) {
        gu[f] += g * it[f];
        gi[f] += g * u[f];
      }
      *grads.sparse[2].touch(users_[b]) += g;
      *grads.sparse[3].touch(items_[b]) += g;
    }
  }

  void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const override {
    check_indices(config_, users, items, n);
    run(users, items, n, out, nullptr);
  }

 private:
  // The batch loop; slope (n values, or null) receives d out / d(sum).
  void run(const uint32_t* users, const uint32_t* items, size_t n, float* out, float* slope) const {
    const uint32_t k = config_.user_factors;
    const Parameter& uw = params_[0];
    const Parameter& iw = params_[1];
    const float* ub = params_[2].value.data();
    const float* ib = params_[3].value.data();
    const bool y_range = config_.y_range;
    const float lo = config_.y_min, hi = config_.y_max;
    for (size_t b = 0; b < n; ++b) {
      const float* u = uw.row(users[b]);
      const float* it = iw.row(items[b]);
      float x = 0.0f;
      for (uint32_t f = 0; f < k; ++f) x += u[f] * it[f];
      x = x + ub[users[b]] + ib[items[b]];  // fastai's order: dot.sum(1) + u_bias + i_bias
      float s = 1.0f;
      out[b] = y_range ? sigmoid_range(x, lo, hi, &s) : x;
      if (slope) slope[b] = s;
    }
  }

  // The training batch, kept for backward(): indices (n) and d out / d(sum) (n).
  std::vector<uint32_t> users_, items_;
  std::vector<float> slope_;
  bool has_batch_ = false;
};

}  // namespace

std::unique_ptr<Model> make_dotbias_model(const ModelConfig& config, uint64_t seed) {
  return std::make_unique<DotBiasModel>(config, seed);
}

}  // namespace cofi::model_detail
