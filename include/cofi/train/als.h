// Alternating least squares with biases for dot and dotbias models without y_range: the objective
// of scale.h minimised exactly for one side with the other held fixed, one sweep being all users
// then all items. For user u, with x = [p_u; b_u] (dotbias) or p_u (dot) and z_i = [q_i; 1] or q_i,
// the ridge regression
//
//   (sum_i z_i z_i^T + diag(lambda_f, ..., lambda_f, lambda_b)) x = sum_i z_i (r_ui - mu - b_i)
//
// over u's training ratings is solved with a Cholesky factorisation (Eigen's LLT, in double), and
// likewise for each item. Rows are independent, so they are solved in parallel, and the result is
// the same bit for bit whatever the thread count. A row with no training ratings solves to zero.
//
// Cost per sweep: about n_ratings (k + 1)^2 multiply-adds for the normal equations plus
// (n_users + n_items) (k + 1)^3 / 3 for the factorisations.
#pragma once

#include <cstdint>

#include "cofi/data/ratings.h"
#include "cofi/model/model_config.h"
#include "cofi/train/scale.h"

namespace cofi {

struct AlsConfig {
  uint32_t sweeps = 10;
  double lambda_f = 6, lambda_b = 3;  // per-row ridge penalties (scale.h); > 0
  unsigned threads = 0;               // 0: all cores
  uint64_t seed = 1;                  // the item factors' starting values
  double init_std = 0.1;              // item factors start normal(0, init_std^2), biases at 0
};

// Trains a new dot or dotbias model (y_range off) on `train` and scores `valid` (may be null or
// empty) after each sweep. callbacks.on_batch is called after each sweep (sweeps done, sweeps of
// the run, the training MSE); callbacks.stop is polled after each sweep.
// Throws cofi::Error on a bad setting, an nn model, y_range on, empty training data or indices
// outside the tables.
ScaleFit fit_als(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                 const AlsConfig& config, const TrainCallbacks& callbacks = {});

}  // namespace cofi
