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

// Where a run stands between two batches.
struct TrainProgress {
  uint32_t epochs_done = 0;  // whole epochs finished
  // Batches of the next epoch already taken (non-zero only after a stop inside an epoch), and the
  // sum of their losses, from which that epoch's mean train loss continues.
  uint64_t batches_done = 0;
  double loss_sum = 0;
};

// The state of a run, but for the model's parameters: with them, the same data and the same
// TrainConfig, enough to continue the run exactly as if it had not stopped.
struct TrainState {
  TrainProgress progress;
  OptimizerState optimizer;  // its t is epochs_done * batches per epoch + batches_done
};

struct TrainCallbacks {
  // After each batch: steps done, total steps of the run, the batch's loss.
  std::function<void(uint64_t, uint64_t, double)> on_batch;
  std::function<void(const EpochResult&)> on_epoch;
  // Polled after each batch; true stops training after that batch (e.g. on Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
  // After each whole epoch (after on_epoch; not after a stop inside one), with the run's state at
  // that point: what a checkpoint saves, together with the model's parameters (caught up, as for
  // validation). The references are valid during the call only.
  std::function<void(const TrainProgress&, const OptimizerState&)> on_checkpoint;
};

// Trains `model` on `train`; scores `valid` (may be null) after each epoch. Both use the model's
// index space (users < n_users, items < n_items). Returns one result per epoch run in this call,
// numbered within the whole run (1-based). A content model is fitted in closed form instead
// (cofi/train/content.h): one result, optimizer and state unused.
//
// Resuming: with a `state` whose progress is past the start (a checkpoint's), the run continues
// from there: the optimizer takes the saved state and training picks up at the saved epoch and
// batch. Batch order depends only on (seed, epoch) and dropout masks on (seed, step), so with the
// model's saved parameters, the same data and config, the continued run takes the same steps as
// one that never stopped: bitwise from a whole-epoch checkpoint; after a stop inside an epoch,
// within float rounding in lazy mode (the stop caught every row up early) and bitwise in dense
// mode. Throws cofi::Error when the state does not fit the model, config and data.
// On return, a non-null `state` holds the run's final state (the optimizer's moved out).
std::vector<EpochResult> fit(Model& model, const Ratings& train, const Ratings* valid,
                             const TrainConfig& config, const TrainCallbacks& callbacks = {},
                             TrainState* state = nullptr);

// Batches per epoch and steps of the whole run for `n` training ratings: what a run's schedule
// spans, and what a saved state is checked against.
struct RunSteps {
  uint64_t per_epoch = 0, total = 0;
};
RunSteps run_steps(size_t n, const TrainConfig& config);

// Mean squared error of the model's predictions on `data` (eval mode), computed on `threads`.
double mean_squared_error(const Model& model, const Ratings& data, unsigned threads = 0);

}  // namespace cofi
