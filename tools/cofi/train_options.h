// Options shared by the commands that train: where the data comes from, the model, the optimizer.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "cofi/data/ratings.h"
#include "cofi/model/model_config.h"
#include "cofi/train/als.h"
#include "cofi/train/sgd_blocks.h"
#include "cofi/train/trainer.h"

namespace cofi::cli {

struct TrainData {
  Ratings train, valid;  // one id space
  std::string source;
};

// --train/--valid, or --data split by --valid-pct. Without `timestamps` the ratings are read
// without them (8 bytes a rating less; no trainer uses them).
TrainData load_train_data(const Args& args, bool timestamps = true);
ModelConfig model_config_from(const Args& args, const Ratings& train);
TrainConfig train_config_from(const Args& args);
std::vector<float> parse_floats(const std::string& text, const char* option);

// --solver and its options: throws cofi::Error for an option the chosen solver does not take.
void check_solver_options(const Args& args);

// The settings of a large-data solver (--solver sgd-blocks or als) for `model` and n training ratings.
struct ScaleSettings {
  Solver solver = Solver::sgd_blocks;
  SgdBlocksConfig sgd;  // sgd-blocks
  AlsConfig als;        // als
};
ScaleSettings scale_settings_from(const Args& args, const ModelConfig& model, size_t n_ratings);

// The option groups (declared once, used by several commands' rows in the table).
const std::vector<OptionSpec>& train_data_options();
const std::vector<OptionSpec>& model_options();
const std::vector<OptionSpec>& optimizer_options();
// A copy of `options` with some defaults changed: {{"--lr", "1e-3"}, ...}.
std::vector<OptionSpec> with_defaults(std::vector<OptionSpec> options,
                                      const std::vector<std::pair<std::string, std::string>>& defaults);
const std::vector<OptionSpec>& solver_options();  // train only

}  // namespace cofi::cli
