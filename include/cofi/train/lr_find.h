// fastai's learning-rate finder: train for a few batches while the learning rate grows
// exponentially, record the smoothed loss, stop when it diverges, and suggest a rate. The model's
// parameters are restored afterwards.
#pragma once

#include <cstdint>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/model/model.h"
#include "cofi/train/optimizer.h"

namespace cofi {

struct LrFindConfig {
  double start_lr = 1e-7, end_lr = 10;  // fastai's defaults
  uint32_t num_it = 100;
  bool stop_div = true;                 // stop once the smoothed loss exceeds 4x the best
  uint32_t batch_size = 64;
  uint64_t seed = 1;
  OptimizerConfig optimizer;            // as training will use it (weight decay included)
  double mom = 0.9;
};

struct LrFindResult {
  std::vector<double> lrs, losses, smoothed;  // per batch run
  // Suggestions: fastai's "valley" (its default), the minimum's rate / 10, and the steepest descent.
  double valley = 0, minimum = 0, steep = 0;
};

LrFindResult lr_find(Model& model, const Ratings& train, const LrFindConfig& config);

}  // namespace cofi
