// Models: the recipe's dot, dotbias and nn. A model owns its parameters, computes predictions for a
// batch of (user, item) pairs and the gradients of a loss through them. Virtual calls happen once a
// batch, never per rating; the per-rating loops are plain and vectorisable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "cofi/model/model_config.h"
#include "cofi/model/parameters.h"

namespace cofi {

class Model {
 public:
  virtual ~Model() = default;

  // A model with fastai's initialisation, deterministic for `seed`:
  //   dot: weights uniform(0, 0.05) (the recipe); dotbias and nn embeddings: fastai's
  //   trunc_normal_ (normal, fmod 2, times 0.01); nn Linear layers: PyTorch's default
  //   (uniform +-1/sqrt(fan_in) for weight and bias); BatchNorm: weight 1, bias 1e-3.
  // Each parameter draws from its own stream of (seed, parameter index), so the values do not
  // depend on the platform's <random>. nn embedding sizes left at 0 are resolved with
  // fastai_embedding_size, and config() reports the resolved sizes.
  // Throws cofi::Error when the config is invalid.
  static std::unique_ptr<Model> create(const ModelConfig& config, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }

  // Predictions for n pairs into out[0..n). `training` turns on dropout and batch statistics (nn)
  // and keeps what backward() needs; `seed` drives dropout masks for this batch (the same seed and
  // batch give the same masks). In training mode nn also updates the BatchNorm running statistics.
  // Throws cofi::Error for a user or item index outside the tables, and for a training batch of
  // one row when nn uses BatchNorm (its variance is undefined; PyTorch refuses it too).
  virtual void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
                       uint64_t seed = 0) = 0;
  // After forward(training = true) on a batch: adds d(sum_b dout[b] * out[b]) / d(parameters) into
  // `grads`. For a mean loss, dout already carries the 1/n.
  virtual void backward(const float* dout, Gradients& grads) = 0;

  // Eval-mode predictions (no dropout, BatchNorm running statistics), safe to call from several
  // threads at once. Equals forward(training = false). Throws like forward().
  virtual void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const = 0;

 protected:
  explicit Model(ModelConfig config) : config_(std::move(config)) {}
  ModelConfig config_;
  std::vector<Parameter> params_;
};

}  // namespace cofi
