// The training loop: fastai's fit / fit_one_cycle for the recipe's models. Minibatches of any size,
// shuffled each epoch from the seed, mean-squared-error loss, an optimizer step per batch, and the
// validation MSE after each epoch. Progress goes to callbacks; the library prints nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/model/model.h"
#include "cofi/train/optimizer.h"
#include "cofi/train/schedule.h"

namespace cofi {

struct TrainConfig {
  uint32_t epochs = 5;
  uint32_t batch_size = 64;
  // Drop each epoch's last partial batch, as fastai's training DataLoader does (its rows change
  // every epoch with the shuffle, so none is left out for good).
  bool drop_last = true;
  uint64_t seed = 1;          // batch order (and dropout masks)
  unsigned threads = 0;       // evaluation threads (0: all cores)
  ScheduleConfig schedule;    // the recipe: one-cycle at 5e-3
  OptimizerConfig optimizer;  // the recipe: Adam, wd 0.1, lazy rows
};

struct EpochResult {
  uint32_t epoch = 0;     // 1-based
  double train_loss = 0;  // mean batch loss over the epoch
  bool has_valid = false;
  double valid_mse = 0, valid_rmse = 0;
  double seconds = 0;        // training and validation time of the epoch
  double train_seconds = 0;  // the training part alone
  bool interrupted = false;  // stopped early (should_stop): the epoch is partial
};

struct TrainCallbacks {
  // After each batch: steps done, total steps of the run, the batch's loss.
  std::function<void(uint64_t, uint64_t, double)> on_batch;
  std::function<void(const EpochResult&)> on_epoch;
  // Polled after each batch; true stops training after that batch (e.g. on Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
};

// Trains `model` on `train`; scores `valid` (may be null) after each epoch. Both use the model's
// index space (users < n_users, items < n_items). Returns one result per epoch run. A content
// model is fitted in closed form instead (cofi/train/content.h): one result, optimizer unused.
std::vector<EpochResult> fit(Model& model, const Ratings& train, const Ratings* valid,
                             const TrainConfig& config, const TrainCallbacks& callbacks = {});

// Mean squared error of the model's predictions on `data` (eval mode), computed on `threads`.
double mean_squared_error(const Model& model, const Ratings& data, unsigned threads = 0);

}  // namespace cofi
