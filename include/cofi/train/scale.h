// Training for large data: what the two large-data solvers share.
//
//   sgd_blocks.h  block-parallel SGD (FPSGD, as LIBMF): plain SGD, Adagrad or lazy Adam
//   als.h         alternating least squares with biases: exact ridge solves, one row at a time
//
// Both train `dot` and `dotbias` models (ModelConfig) and return an ordinary Model, which saves,
// loads and scores like one trained by fit(). Both minimise the same objective over the training
// ratings (r_ui):
//
//   sum_ui (r_ui - f(mu + b_u + b_i + p_u . q_i))^2
//     + lambda_f (sum_u |p_u|^2 + sum_i |q_i|^2) + lambda_b (sum_u b_u^2 + sum_i b_i^2)
//
// with f the y_range sigmoid (or the identity when y_range is off; ALS needs it off) and mu a
// fixed offset: the mean training rating (y_range off), or the sigmoid's inverse at that mean (on),
// so that the biases are penalised for their distance from the mean rather than from zero. The
// penalty is per row, not per rating: a user with many ratings is held back no more than one with
// few, which is the Gaussian prior of probabilistic matrix factorisation (lambda = noise variance
// / prior variance). mu is folded into the item biases of the returned model (i_bias += mu), so the
// model's predictions are exactly the trained ones. `dot` has no biases: mu = 0 and no lambda_b.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cofi/model/model.h"
#include "cofi/train/trainer.h"

namespace cofi {

// How `cofi train` trains: fit() (minibatch), fit_sgd_blocks() or fit_als().
enum class Solver : uint8_t { minibatch, sgd_blocks, als };
const char* to_string(Solver s);               // "minibatch", "sgd-blocks", "als"
Solver parse_solver(const std::string& text);  // throws cofi::Error listing the solvers

// Which instruction set runs the SGD kernels (src/train/sgd_kernels*.cpp). automatic: AVX2 with
// FMA when this CPU has them, else the portable code; avx2 throws cofi::Error when it does not.
enum class KernelIsa : uint8_t { automatic, portable, avx2 };
const char* to_string(KernelIsa isa);
KernelIsa parse_kernel_isa(const std::string& text);  // throws cofi::Error listing the choices
// The instruction set `isa` resolves to on this CPU (never automatic). Throws as above.
KernelIsa resolve_kernel_isa(KernelIsa isa);

// A trained model and its per-epoch (per-sweep) history. EpochResult::train_loss is the mean
// squared training error of the epoch: for SGD the errors seen before each update, for ALS the
// errors after the sweep.
struct ScaleFit {
  std::unique_ptr<Model> model;
  std::vector<EpochResult> history;
};

}  // namespace cofi
