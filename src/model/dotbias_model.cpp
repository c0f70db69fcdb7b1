// `dotbias`: fastai's EmbeddingDotBias. prediction = sigmoid(user . item + user bias + item bias)
// * (y_max - y_min) + y_min, or the raw sum when y_range is off. Parameters, all fastai's
// trunc_normal_(std 0.01):
//   u_weight  n_users x k
//   i_weight  n_items x k
//   u_bias    n_users x 1
//   i_bias    n_items x 1
#include <memory>

#include "model_impl.h"

namespace cofi::model_detail {

std::unique_ptr<Model> make_dotbias_model(const ModelConfig& config, uint64_t seed) {
  auto model = std::make_unique<DotProductModel>(config, /*biases=*/true);
  fill_all_trunc_normal(model->parameters(), 0.01f, seed);
  return model;
}

}  // namespace cofi::model_detail
