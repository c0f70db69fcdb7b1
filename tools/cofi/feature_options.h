// Features for the hybrid and content models on the command line: where they come from (the
// training data's own side files, --side-data, generic --user-features / --item-features files),
// which built-in groups are used, and how they join the model (every user and item the side data
// describes becomes a model row, so that cold ones have a representation).
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "cofi/features.h"
#include "cofi/model/model.h"
#include "train_options.h"

namespace cofi::cli {

const std::vector<OptionSpec>& feature_options();

struct ModelFeatures {
  Features users, items;  // aligned with the model's rows
  std::string summary;    // one line for the log
};

// For a kind that uses features (hybrid, content): reads them, extends the data's id maps with the
// users and items they describe (re-indexing train and valid), and sets the config's feature
// counts. Throws cofi::Error when a kind needs features and there are none.
ModelFeatures prepare_features(const Args& args, TrainData& data, ModelConfig& config);

// Sets the features on a new model. For a hybrid, the id rows of users and items without training
// ratings are zeroed: training never moves them, so their representation is their features.
void apply_features(Model& model, ModelFeatures features, const Ratings& train);

}  // namespace cofi::cli
