// Block-parallel SGD for dot and dotbias on large data: FPSGD (Chin, Zhuang, Juan, Lin, "A fast
// parallel stochastic gradient method for matrix factorization in shared memory systems", ACM TIST
// 2015), the design of LIBMF, with biases and the y_range sigmoid added.
//
// The training ratings are cut into a grid of g x g blocks (block_grid.h); threads take blocks that
// share no user band and no item band, so they update disjoint rows without locks. One epoch
// visits every block once and each block's ratings once, its two halves (each in (user, item)
// order) interleaved one rating at a time, so that the core has two independent chains of
// dependent updates to work on (src/train/sgd_kernels_body_impl.h). Each visit to rating
// (u, i) takes one step on its share of the objective (scale.h):
//
//   L_ui = 1/2 (r - pred)^2 + 1/2 (lambda_f / n_u) |p_u|^2 + 1/2 (lambda_f / n_i) |q_i|^2
//          + 1/2 (lambda_b / n_u) b_u^2 + 1/2 (lambda_b / n_i) b_i^2
//
// (n_u, n_i: the row's training ratings), so that one epoch's steps add up to the per-row penalty
// of the objective. With e = r - pred and s = d pred / dx (1 without y_range), d = -dL/dp_u is
// e s q_i - (lambda_f / n_u) p_u, and likewise for q_i, b_u and b_i. The rules:
//
//   sgd      p += lr_e d, with lr_e annealed over the run along a half cosine, from lr in the first
//            epoch to near 0 in the last (plain SGD with a constant step stalls at a noise floor
//            that the step sets; on the 25M synthetic set it ends 0.005 RMSE higher)
//   adagrad  one accumulator per row and table (as LIBMF): G += mean_k(d^2), p += lr d / sqrt(G + eps);
//            the biases keep their own accumulator
//   adam     lazy Adam: only the rows a rating touches step (their moments do not decay between
//            visits), bias-corrected with each row's own visit count: m = b1 m + (1 - b1) d,
//            v = b2 v + (1 - b2) d^2, p += lr m^ / (sqrt(v^) + eps)
//
// Adagrad and Adam keep lr constant (their steps shrink by themselves; LIBMF's practice with
// Adagrad).
// Deterministic for a seed with one thread; with more, the block order depends on timing, so
// results differ from run to run by about as much as two seeds do.
#pragma once

#include <cstdint>
#include <string>

#include "cofi/data/ratings.h"
#include "cofi/model/model_config.h"
#include "cofi/train/scale.h"

namespace cofi {

enum class SgdRule : uint8_t { sgd, adagrad, adam };
const char* to_string(SgdRule rule);
SgdRule parse_sgd_rule(const std::string& text);  // throws cofi::Error listing the rules
// The learning rate used when none is given: tuned on the 25M synthetic set (docs/training.md).
double default_lr(SgdRule rule);
// The learning rate of epoch `epoch` (1-based) of `epochs` for base rate lr: the cosine for sgd,
// lr itself for adagrad and adam.
double epoch_lr(SgdRule rule, double lr, uint32_t epoch, uint32_t epochs);

struct SgdBlocksConfig {
  uint32_t epochs = 20;
  SgdRule rule = SgdRule::adagrad;
  double lr = 0;                      // 0: default_lr(rule)
  double lambda_f = 6, lambda_b = 3;  // per-row penalties (scale.h); >= 0
  uint32_t bands = 0;                 // g: the grid is g x g blocks; 0: default_bands()
  unsigned threads = 0;               // 0: all cores
  uint64_t seed = 1;                  // initialisation, grid permutations and block order
  double init_std = 0.1;              // factors start normal(0, init_std^2), biases at 0
  double beta1 = 0.9, beta2 = 0.999;  // adam
  double eps = 1e-8;                  // adam and adagrad
  KernelIsa kernels = KernelIsa::automatic;
};

// Bands for `threads` threads and n ratings of a model with k factors: enough blocks that the
// threads rarely wait for a free one (at least 2 threads + 1 bands, LIBMF's minimum), and blocks
// small enough that one band's item rows (about 1 MiB) stay in a core's L2.
uint32_t default_bands(unsigned threads, size_t n_ratings, uint32_t n_users, uint32_t n_items, uint32_t k);

// Trains a new dot or dotbias model described by `model` on `train` (indices within the model's
// tables) and scores `valid` (may be null or empty) after each epoch without materialising
// anything per user x item. callbacks.on_batch is called after each block (blocks done, blocks of
// the run, the block's mean squared error), from the thread that did the block but never two at
// once; callbacks.stop is polled before each block, and a stop ends the run after the blocks in
// progress (the epoch is marked interrupted when blocks were left). Throws cofi::Error on a bad
// setting (naming it), an nn model, empty training data or indices outside the tables.
ScaleFit fit_sgd_blocks(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                        const SgdBlocksConfig& config, const TrainCallbacks& callbacks = {});

}  // namespace cofi
