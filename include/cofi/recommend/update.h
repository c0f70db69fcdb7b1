// Incremental training: a saved model taught new ratings without retraining from scratch. New
// users and items join the id maps, their rows start from fold-in (items first, from the known
// users who rated them; then users, from their items), and the model is trained some more on the
// new ratings mixed with a replay sample of its own history, so that it does not drift toward the
// newcomers. Embedding rows that no update rating touches keep exactly their old values (weight
// decay on rows nobody rated would only erase what they learned).
#pragma once

#include <cstdint>

#include "cofi/data/ratings.h"
#include "cofi/data/side_data.h"
#include "cofi/io/model_file.h"
#include "cofi/train/trainer.h"

namespace cofi {

struct UpdateOptions {
  TrainConfig train;    // how to train on the update (the CLI's optimizer options)
  double replay = 1.0;  // history ratings sampled per new rating (capped at the history's size)
  uint64_t seed = 1;    // replay sample and new rows' initialisation
};

struct UpdateReport {
  uint64_t new_ratings = 0, replayed = 0;
  uint64_t new_users = 0, new_items = 0;
  uint64_t replaced = 0;  // new ratings of (user, item) pairs the history already had
  std::vector<EpochResult> epochs;
};

// The model `old` updated with `ratings` (their own ids, matched to the model's by raw value).
// `items` (may be null) names new items in the catalog. Needs the model's history (for the
// replay and the merged history); throws cofi::Error without it, or when id kinds cannot meet.
SavedModel update_model(const SavedModel& old, const Ratings& ratings, const Items* items,
                        const UpdateOptions& options, UpdateReport* report = nullptr,
                        const TrainCallbacks& callbacks = {});

}  // namespace cofi
