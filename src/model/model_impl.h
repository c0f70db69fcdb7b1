// Private helpers shared by the models: the factories behind Model::create, the initialisers'
// random numbers, fastai's SigmoidRange and the index check every batch goes through.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cofi/model/model.h"
#include "cofi/random.h"

namespace cofi::model_detail {

// The generator (SplitMix64, per-parameter streams) is core's: cofi/random.h.
using cofi::SplitMix64;
using cofi::stream;

// A parameter of rows x cols zeros.
// key != RowKey::none makes a sparse (embedding) parameter.
Parameter make_parameter(std::string name, uint32_t rows, uint32_t cols, RowKey key, bool trainable = true);

// Fills: uniform in [lo, hi); fastai's trunc_normal_ (a standard normal through fmod 2, which
// keeps the sign, times stddev: |x| < 2 * stddev); a constant.
void fill_uniform(Parameter& p, float lo, float hi, SplitMix64& rng);
void fill_trunc_normal(Parameter& p, float stddev, SplitMix64& rng);
void fill_constant(Parameter& p, float value);
// Every parameter i of `params` by fill_trunc_normal from its own stream(seed, i): fastai's
// initialisation of embeddings and biases (dotbias, hybrid).
void fill_all_trunc_normal(std::vector<Parameter>& params, float stddev, uint64_t seed);

// Throws cofi::Error for the first user or item index outside the config's tables.
void check_indices(const ModelConfig& config, const uint32_t* users, const uint32_t* items, size_t n);
// Throws cofi::Error for the first index in others[0..n) outside `side`'s table.
void check_side_indices(const ModelConfig& config, Side side, const uint32_t* others, size_t n);

// fastai's SigmoidRange: sigmoid(x) * (hi - lo) + lo, in PyTorch's order of operations. The two
// overloads round identically, so training and eval predictions agree; *slope receives
// d(prediction) / dx.
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float sigmoid_range(float x, float lo, float hi) { return sigmoid(x) * (hi - lo) + lo; }
inline float sigmoid_range(float x, float lo, float hi, float* slope) {
  float s = sigmoid(x);
  *slope = (hi - lo) * s * (1.0f - s);
  return s * (hi - lo) + lo;
}

// The models; `config` is valid (and nn's embedding sizes resolved).
// The loops of dot and dotbias (dot_product.cpp): user . item, plus the user's and item's bias
// when `biases`, through the y_range sigmoid when on. Parameters u_weight, i_weight[, u_bias,
// i_bias], zero until the kind's make_* function initialises them.
class DotProductModel final : public Model {
 public:
  DotProductModel(const ModelConfig& config, bool biases);
  void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
               uint64_t seed) override;
  void backward(const float* dout, Gradients& grads) override;
  void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const override;
  void predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                   float* jacobian) const override;
  void score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
                   bool item_bias) const override;

 private:
  // The batch loop; slope (n values, or null) receives d out / d(sum before the sigmoid).
  void run(const uint32_t* users, const uint32_t* items, size_t n, float* out, float* slope) const;

  bool biases_;
  // The training batch, kept for backward(): indices (n) and slopes (n).
  std::vector<uint32_t> users_, items_;
  std::vector<float> slope_;
  bool has_batch_ = false;
};

std::unique_ptr<Model> make_dot_model(const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_dotbias_model(const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_nn_model(const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_hybrid_model(const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_content_model(const ModelConfig& config);

}  // namespace cofi::model_detail
