// `dot`: the recipe's first model. prediction = user . item (through the y_range sigmoid when it is
// on). Parameters, uniform(0, 0.05) as in the recipe:
//   u_weight  n_users x k
//   i_weight  n_items x k
#include <memory>

#include "model_impl.h"

namespace cofi::model_detail {

std::unique_ptr<Model> make_dot_model(const ModelConfig& config, uint64_t seed) {
  auto model = std::make_unique<DotProductModel>(config, /*biases=*/false);
  auto& params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    SplitMix64 rng = stream(seed, i);
    fill_uniform(params[i], 0.0f, 0.05f, rng);
  }
  return model;
}

}  // namespace cofi::model_detail
