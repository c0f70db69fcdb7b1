// Cold-start evaluation: a saved model's errors on held-out ratings split by what the model knew
// of each pair, beside three baselines fitted to the same training ratings (the model's history).
// A user (item) is cold when it has no training rating: a row the model has never seen rated (a
// hybrid's row from side data), or an id the model lacks altogether. Held-out users or items
// (`cofi data split --method cold-users|cold-items`) are cold by construction.
//
// Baselines, for each pair:
//   global mean    the mean training rating mu;
//   bias only      mu + b_u + b_i with ridge-regularised biases (Koren's baseline predictor,
//                  alternating b_i = sum (r - mu - b_u) / (25 + n_i) and
//                  b_u = sum (r - mu - b_i) / (10 + n_u), three rounds from b_u = 0), a cold side's
//                  bias being 0: the item's bias for a cold user, the user's for a cold item;
//   feature group  for a cold user, the mean training rating of the warm users with exactly the
//                  same features, or, when there are none, the mean over the user's features of
//                  each feature's mean rating (over the warm users having it), or mu without
//                  features; likewise for a cold item; both cold: the mean of the two; a warm pair
//                  gets bias only. Needs the model's features (hybrid, content: the item side).
#pragma once

#include <cstdint>

#include "cofi/data/ratings.h"
#include "cofi/eval/rating_metrics.h"
#include "cofi/io/model_file.h"

namespace cofi {

struct ColdStartRow {
  ErrorStats model, global_mean, bias_only, feature_group;
};

struct ColdStartReport {
  ColdStartRow warm, cold_users, cold_items, both_cold;  // by pair: which sides are cold
  uint64_t cold_user_count = 0, cold_item_count = 0;     // distinct cold test users and items
  bool user_groups = false, item_groups = false;         // whether the model has the side's features
};

// Scores `test` (indices into its own id maps, matched to the model's by raw id; unseen ids are
// predicted as evaluate_ratings does). Throws cofi::Error when the model has no history. The
// result does not depend on the thread count.
ColdStartReport evaluate_cold_start(const SavedModel& model, const Ratings& test, unsigned threads = 0);

// The model's prediction for every rating of `test`, with evaluate_ratings' fallbacks for unseen
// users and items (the average row; the mean rating when both are unseen).
std::vector<float> predict_test(const SavedModel& model, const Ratings& test, unsigned threads = 0);

}  // namespace cofi
