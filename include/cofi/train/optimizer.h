// Optimizers: SGD with momentum and Adam, with decoupled ("true") weight decay by default or plain
// L2, in two modes for sparse (embedding) parameters:
//   dense: every row is updated at every step, as PyTorch's nn.Embedding + optimizer does
//          (O(table size) a step; for parity tests and small data);
//   lazy:  only the rows in the batch are updated, and a row is caught up when it is next touched
//          (and for all rows by catch_up_all()) with the closed form of the steps it missed:
//          weight decay, moment decay and the drift its leftover momentum would have caused.
// The catch-up depends only on the step the row was last touched and the current step, so it is
// tabulated once per run (log-space suffix sums) and costs O(1) per touched row.
//   SGD + momentum + decoupled wd: lazy equals dense (up to float rounding).
//   Adam + decoupled wd: the skipped steps' drift is taken with eps dropped from the denominator
//          (eps only matters where sqrt(v) is tiny); in PyTorch this matched dense training's
//          accuracy on the canonical split at both tested settings.
//   L2 (not decoupled): skipped steps would feed the decay back through the gradient, which has no
//          closed form; lazy mode then decays touched rows only (documented, not exact).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cofi/model/parameters.h"
#include "cofi/train/schedule.h"

namespace cofi {

enum class OptimizerKind : uint8_t { sgd, adam };
const char* to_string(OptimizerKind kind);
OptimizerKind parse_optimizer_kind(const std::string& text);

// What an optimizer has learnt besides the parameters: enough, with them and the same config and
// schedule, to continue a run exactly where it stopped. Indexed like the model's parameters;
// a vector is empty where the parameter has no such state.
struct OptimizerState {
  uint64_t t = 0;                           // steps taken: the schedule's position
  std::vector<std::vector<float>> m;        // per trainable parameter: SGD's momentum buffer or Adam's
                                            // first moment, one value per parameter value
  std::vector<std::vector<float>> v;        // Adam's second moment, per trainable parameter (SGD: empty)
  std::vector<std::vector<uint64_t>> last;  // lazy sparse parameters: per row, the step it is up to
                                            // date with (<= t); dense mode and dense parameters: empty
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double wd = 0.1;                  // weight decay
  bool decoupled_wd = true;         // true: p *= 1 - lr * wd (AdamW, fastai); false: L2 added to the gradient
  double beta2 = 0.99, eps = 1e-5;  // Adam (fastai's defaults); beta1 comes from the schedule's momentum
  bool lazy = true;                 // lazy row updates for sparse parameters (see above)
  bool wd_bn_bias = false;          // decay BatchNorm parameters and Linear biases too (fastai: no)
};

class Optimizer {
 public:
  // `params` must outlive the optimizer; the schedule gives lr and momentum (beta1) for each step.
  Optimizer(const OptimizerConfig& config, std::vector<Parameter>& params, const Schedule& schedule);
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Lazy mode: brings the rows a batch will read (its users' and items' rows of every sparse
  // parameter) up to the current step. Call before the forward pass, so that the gradient is
  // taken at the same weights as in dense training. A no-op in dense mode.
  void prepare_batch(const uint32_t* users, const uint32_t* items, size_t n);
  // Applies one step with these gradients (the next step of the schedule).
  void step(const Gradients& grads);
  // Brings every lazily-updated row up to the current step (before evaluating or saving).
  void catch_up_all();
  uint64_t steps_done() const;

  // The state to save for resuming (a view, valid until the next call that changes it).
  const OptimizerState& state() const;
  // Continues from a saved state (replacing this optimizer's): throws cofi::Error unless every
  // vector has the size this optimizer's parameters and config give it and the steps fit the
  // schedule (t <= total steps, every row's last step <= t).
  void restore(OptimizerState saved);
  // Moves the state out; the optimizer must not be used afterwards.
  OptimizerState release();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cofi
