// Fold-in: the parameters of a user (or item) the model has never seen, fitted to a few of their
// ratings with everything else held fixed, so a trained model answers for newcomers without
// retraining. The side's vector (Model::side_vector: factors, and the bias for dotbias) x
// minimises the ridge-regularised squared error
//   L(x) = sum_j (f(x; j) - y_j)^2 + l2 * |x - p|^2
// over the given ratings y_j of other-side rows j, with f the model's eval-mode prediction and p
// the prior (zero, or for a hybrid newcomer the part their features contribute: the id part x - p
// is fitted, the feature part held fixed; with no ratings the newcomer is their features).
// Solved by damped Gauss-Newton (Levenberg-Marquardt) on the model's Jacobian: for dot and
// dotbias without y_range f is linear and the first step is the closed-form ridge solution;
// through the sigmoid (and for nn) a few steps converge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cofi/data/user_items.h"
#include "cofi/model/model.h"

namespace cofi {

struct FoldInOptions {
  double l2 = 1.0;           // ridge strength (see calibrate_fold_in_l2 for a model's own)
  int max_iterations = 100;  // Gauss-Newton steps (nn's ReLU kinks can take a few dozen)
  double tolerance = 1e-7;   // stop when a step lowers L by less than this share of L
  std::vector<float> prior;  // p above (side_size values), or empty for zeros
};

struct FoldInResult {
  std::vector<float> vector;  // side_size(side) values: the fitted row
  double loss = 0;            // L at the solution
  double train_rmse = 0;      // RMSE of the fitted row on the given ratings
  int iterations = 0;
  bool converged = false;
};

// Fits a row of `side` to ratings[j] of other-side rows others[j], j < n. `start` (may be
// null) is the first guess; the default is the prior (zero factors without one) with the bias at
// the value that best fits the mean rating. Throws cofi::Error for an index outside the other
// side's table, a non-finite rating or a prior of the wrong size; n == 0 gives the prior.
FoldInResult fold_in(const Model& model, Side side, const uint32_t* others, const float* ratings, size_t n,
                     const FoldInOptions& options = {}, const float* start = nullptr);

// The ridge strength under which the model's own users are (close to) optimal: for each of up to
// `max_users` users with at least 5 ratings in `history`, the l2 at which the gradient of L at
// their learned row is orthogonal to that row's id part x (hybrid: the row minus its features'
// part, which the ridge does not pull on),
//   l2_u = -sum_j (f_j - y_j) (J_j . x) / |x|^2,
// and the median of those. Training with weight decay leaves each row near such a balance, so
// fold-in with this l2 reproduces a training user's learned row closely (tested). Returns
// `fallback` when no user qualifies (no history).
double calibrate_fold_in_l2(const Model& model, const UserItems& history, size_t max_users = 2000,
                            double fallback = 1.0);

}  // namespace cofi
