// Rating metrics of a saved model on held-out ratings that carry their own ids (a test file read
// on its own): MSE, RMSE and MAE, overall and split into the pairs the model knows and the pairs
// it has to fall back on.
//
// Raw ids are mapped through the model's id maps. A known (user, item) pair is predicted by the
// model. A pair with an unseen user or item is predicted from what the model knows: the unseen
// side is replaced by the "average user" or "average item", the mean row of each of that side's
// tables (embedding and bias alike). When both are unseen the prediction is the mean training
// rating (TrainingRecord::rating_mean).
#pragma once

#include <cstdint>

#include "cofi/data/ratings.h"
#include "cofi/io/model_file.h"

namespace cofi {

// Errors of n predictions. All zero when n == 0.
struct ErrorStats {
  uint64_t n = 0;
  double mse = 0;   // mean squared error, in rating units squared
  double rmse = 0;  // sqrt(mse)
  double mae = 0;   // mean absolute error
};

struct RatingReport {
  ErrorStats all;             // every test rating
  ErrorStats known;           // user and item both in the model
  ErrorStats fallback;        // an unseen user and/or item: average user/item, or the mean rating
  uint64_t unseen_users = 0;  // distinct test users not in the model
  uint64_t unseen_items = 0;  // distinct test items not in the model
  uint64_t both_unseen = 0;   // fallback pairs with neither side known (predicted by the mean rating)
};

// Scores `test` (indices into its own id maps) on `threads` threads (0: all cores). The result
// does not depend on the thread count.
RatingReport evaluate_ratings(const SavedModel& model, const Ratings& test, unsigned threads = 0);

// The model with one extra row appended to every sparse (embedding or bias) table: user row
// n_users and item row n_items hold the mean of that table's rows, without features (hybrid,
// content). Used for the fallback.
std::unique_ptr<Model> with_average_rows(const Model& model);

}  // namespace cofi
