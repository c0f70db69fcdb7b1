// Options shared by the commands that train: where the data comes from, the model, the optimizer.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "cofi/data/ratings.h"
#include "cofi/model/model_config.h"
#include "cofi/train/trainer.h"

namespace cofi::cli {

struct TrainData {
  Ratings train, valid;  // one id space
  std::string source;
};

// --train/--valid, or --data split by --valid-pct.
TrainData load_train_data(const Args& args);
ModelConfig model_config_from(const Args& args, const Ratings& train);
TrainConfig train_config_from(const Args& args);
std::vector<float> parse_floats(const std::string& text, const char* option);

// The option groups (declared once, used by several commands' rows in the table).
const std::vector<OptionSpec>& train_data_options();
const std::vector<OptionSpec>& model_options();
const std::vector<OptionSpec>& optimizer_options();
// A copy of `options` with some defaults changed: {{"--lr", "1e-3"}, ...}.
std::vector<OptionSpec> with_defaults(std::vector<OptionSpec> options,
                                      const std::vector<std::pair<std::string, std::string>>& defaults);

}  // namespace cofi::cli
