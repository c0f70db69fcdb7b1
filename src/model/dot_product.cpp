// The loops shared by `dot` and `dotbias` (dot_model.cpp, dotbias_model.cpp): the prediction is
// user . item, plus the user's and the item's bias for dotbias, through the y_range sigmoid when
// it is on.

#include "cofi/error.h"
#include "model_impl.h"
#include "score_kernels.h"

namespace cofi::model_detail {

DotProductModel::DotProductModel(const ModelConfig& config, bool biases) : Model(config), biases_(biases) {
  params_.push_back(make_parameter("u_weight", config.n_users, config.user_factors, RowKey::user));
  params_.push_back(make_parameter("i_weight", config.n_items, config.item_factors, RowKey::item));
  if (biases) {
    params_.push_back(make_parameter("u_bias", config.n_users, 1, RowKey::user));
    params_.push_back(make_parameter("i_bias", config.n_items, 1, RowKey::item));
  }
}

void DotProductModel::forward(const uint32_t* users, const uint32_t* items, size_t n, float* out,
                              bool training, uint64_t /*seed: no dropout here*/) {
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

void DotProductModel::backward(const float* dout, Gradients& grads) {
  COFI_ASSERT(has_batch_);
  const uint32_t k = config_.user_factors;
  const Parameter& uw = params_[0];
  const Parameter& iw = params_[1];
  for (size_t b = 0; b < users_.size(); ++b) {
    // d out / d u = g * i, d out / d i = g * u and 1 * g for each bias, with g the chain through
    // the sigmoid.
    const float g = dout[b] * slope_[b];
    const float* u = uw.row(users_[b]);
    const float* it = iw.row(items_[b]);
    float* gu = grads.sparse[0].touch(users_[b]);
    float* gi = grads.sparse[1].touch(items_[b]);
    for (uint32_t f = 0; f < k; ++f) {
      gu[f] += g * it[f];
      gi[f] += g * u[f];
    }
    if (biases_) {
      *grads.sparse[2].touch(users_[b]) += g;
      *grads.sparse[3].touch(items_[b]) += g;
    }
  }
}

void DotProductModel::predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const {
  check_indices(config_, users, items, n);
  run(users, items, n, out, nullptr);
}

void DotProductModel::run(const uint32_t* users, const uint32_t* items, size_t n, float* out,
                          float* slope) const {
  const uint32_t k = config_.user_factors;
  const Parameter& uw = params_[0];
  const Parameter& iw = params_[1];
  const float* ub = biases_ ? params_[2].value.data() : nullptr;
  const float* ib = biases_ ? params_[3].value.data() : nullptr;
  const bool y_range = config_.y_range;
  const float lo = config_.y_min, hi = config_.y_max;
  for (size_t b = 0; b < n; ++b) {
    const float* u = uw.row(users[b]);
    const float* it = iw.row(items[b]);
    float x = 0.0f;
    for (uint32_t f = 0; f < k; ++f) x += u[f] * it[f];
    if (biases_) x = x + ub[users[b]] + ib[items[b]];  // fastai's order: dot.sum(1) + u_bias + i_bias
    float s = 1.0f;
    out[b] = y_range ? sigmoid_range(x, lo, hi, &s) : x;
    if (slope) slope[b] = s;
  }
}

void DotProductModel::predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                                  float* jacobian) const {
  // vec = [factors (k), bias (dotbias)]; the other side's rows come from the tables.
  const Side other = side == Side::user ? Side::item : Side::user;
  check_side_indices(config_, other, others, n);
  const uint32_t k = config_.user_factors;
  const Parameter& table = params_[other == Side::user ? 0 : 1];
  const float* bias = biases_ ? params_[other == Side::user ? 2 : 3].value.data() : nullptr;
  const size_t d = side_size(side);
  const bool y_range = config_.y_range;
  const float lo = config_.y_min, hi = config_.y_max;
  for (size_t b = 0; b < n; ++b) {
    const float* o = table.row(others[b]);
    float x = 0.0f;
    for (uint32_t f = 0; f < k; ++f) x += vec[f] * o[f];
    // fastai's order: dot + user bias + item bias.
    if (biases_) x = side == Side::user ? x + vec[k] + bias[others[b]] : x + bias[others[b]] + vec[k];
    float s = 1.0f;
    out[b] = y_range ? sigmoid_range(x, lo, hi, &s) : x;
    if (jacobian) {
      float* j = jacobian + b * d;
      for (uint32_t f = 0; f < k; ++f) j[f] = s * o[f];
      if (biases_) j[k] = s;
    }
  }
}

void DotProductModel::score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end,
                                  float* out, bool item_bias) const {
  COFI_ASSERT(item_begin <= item_end && item_end <= config_.n_items);
  const float* item_biases = biases_ && item_bias ? params_[3].value.data() + item_begin : nullptr;
  score_bilinear(user_vectors, n, side_size(Side::user), params_[1].row(item_begin), item_end - item_begin,
                 config_.user_factors, biases_, item_biases, out);
}

}  // namespace cofi::model_detail
