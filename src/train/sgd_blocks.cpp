#include "cofi/train/sgd_blocks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "cofi/train/block_grid.h"
#include "scale_impl.h"

namespace cofi {

const char* to_string(SgdRule rule) {
  switch (rule) {
    case SgdRule::sgd:
      return "sgd";
    case SgdRule::adagrad:
      return "adagrad";
    case SgdRule::adam:
      return "adam";
  }
  return "?";
}

SgdRule parse_sgd_rule(const std::string& text) {
  for (SgdRule r : {SgdRule::sgd, SgdRule::adagrad, SgdRule::adam})
    if (text == to_string(r)) return r;
  throw Error("unknown update rule " + quote_token(text) + " (expected sgd, adagrad or adam)");
}

double default_lr(SgdRule rule) {
  switch (rule) {
    case SgdRule::sgd:
      return 0.05;
    case SgdRule::adagrad:
      return 0.2;
    case SgdRule::adam:
      return 3e-3;
  }
  return 0.05;
}

double epoch_lr(SgdRule rule, double lr, uint32_t epoch, uint32_t epochs) {
  if (rule != SgdRule::sgd) return lr;
  constexpr double kPi = 3.141592653589793;
  return lr * 0.5 * (1.0 + std::cos(kPi * (epoch - 1) / epochs));
}

uint32_t default_bands(unsigned threads, size_t n_ratings, uint32_t n_users, uint32_t n_items, uint32_t k) {
  // The item rows of one band (factors and per-row state) within about 1 MiB, half of a current
  // server core's L2. On the 25M set (one thread, CPU time per epoch) this was the fastest grid:
  // at 32 factors 12 bands (39M ratings per CPU-second) against 37 (32M) and 64 (27M); at 64
  // factors 17 bands (23M) against 8 (19M) and 47 (20M).
  const double row_bytes = 4.0 * train_detail::padded_factors(k) + sizeof(train_detail::RowAux);
  const double item_bytes = row_bytes * n_items;
  uint32_t g = static_cast<uint32_t>(std::ceil(item_bytes / (1024.0 * 1024)));
  // No block smaller than about 10,000 ratings: below that the scheduler's lock and the cold
  // start of each block cost more than the cache gains.
  const auto by_size = static_cast<uint32_t>(std::sqrt(static_cast<double>(n_ratings) / 1e4));
  g = std::min(g, std::max<uint32_t>(by_size, 1));
  g = std::max(g, 2 * threads + 1);
  return std::clamp<uint32_t>(g, 1, std::min({n_users, n_items, 256u}));
}

ScaleFit fit_sgd_blocks(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                        const SgdBlocksConfig& config, const TrainCallbacks& callbacks) {
  using namespace train_detail;
  check_scale_inputs(model, train, valid, "sgd-blocks");
  if (config.epochs == 0) throw Error("sgd-blocks: epochs must be at least 1");
  const double lr = config.lr == 0 ? default_lr(config.rule) : config.lr;
  if (!(lr > 0) || !std::isfinite(lr))
    throw Error("sgd-blocks: the learning rate must be positive, found " + show_number(lr));
  if (!(config.lambda_f >= 0) || !(config.lambda_b >= 0) || !std::isfinite(config.lambda_f) ||
      !std::isfinite(config.lambda_b))
    throw Error("sgd-blocks: the penalties lambda_f and lambda_b must be 0 or more, found " +
                show_number(config.lambda_f) + " and " + show_number(config.lambda_b));
  if (!(config.init_std >= 0)) throw Error("sgd-blocks: init_std must be 0 or more");
  if (config.rule == SgdRule::adam &&
      !(config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 && config.beta2 < 1))
    throw Error("sgd-blocks: adam's betas must be in [0, 1)");
  const unsigned threads = resolve_threads(config.threads);
  const uint32_t bands =
      config.bands ? config.bands
                   : default_bands(threads, train.size(), model.n_users, model.n_items, model.user_factors);
  const SgdKernels& kernels = kernels_for(config.kernels);

  BlockGrid grid = BlockGrid::build(train, model.n_users, model.n_items, bands, config.seed, threads);
  FactorTables tables = make_tables(model, train, config.rule == SgdRule::adam);
  {
    SplitMix64 ru = stream(config.seed, 3), ri = stream(config.seed, 4);
    fill_normal_rows(tables.user.data(), tables.n_users, tables.stride, tables.k, config.init_std,
                     grid.user_slot_count().data(), ru);
    fill_normal_rows(tables.item.data(), tables.n_items, tables.stride, tables.k, config.init_std,
                     grid.item_slot_count().data(), ri);
  }
  // Per-visit penalties: one epoch's visits of a row with n ratings add up to lambda.
  auto set_rows = [&](AlignedArray<RowAux>& aux, const std::vector<uint32_t>& counts) {
    for (size_t s = 0; s < aux.size(); ++s) {
      RowAux& a = aux[s];
      const float n = static_cast<float>(counts[s]);
      a.reg_f = counts[s] ? static_cast<float>(config.lambda_f) / n : 0.0f;
      a.reg_b = counts[s] ? static_cast<float>(config.lambda_b) / n : 0.0f;
      if (config.rule == SgdRule::adam) a.acc_f = a.acc_b = 1.0f;  // beta1^0, beta2^0
    }
  };
  set_rows(tables.user_aux, grid.user_slot_count());
  set_rows(tables.item_aux, grid.item_slot_count());

  KernelStep step;
  step.rule = config.rule == SgdRule::sgd       ? KernelRule::sgd
              : config.rule == SgdRule::adagrad ? KernelRule::adagrad
                                                : KernelRule::adam;
  step.k = tables.k;
  step.kv = tables.kv;
  step.lr = static_cast<float>(lr);
  step.offset = tables.offset;
  step.biases = tables.biases;
  step.y_range = tables.y_range;
  step.y_lo = tables.y_lo;
  step.y_scale = tables.y_scale;
  step.beta1 = static_cast<float>(config.beta1);
  step.beta2 = static_cast<float>(config.beta2);
  step.eps = static_cast<float>(config.eps);
  const KernelTables kt = tables.kernel_tables();

  const uint64_t blocks_per_epoch = static_cast<uint64_t>(bands) * bands;
  const uint64_t total_blocks = blocks_per_epoch * config.epochs;
  BlockScheduler scheduler(bands, config.seed);
  std::mutex report_mu;  // serialises on_batch and the epoch's tallies
  uint64_t blocks_done = 0;
  bool stopped = false;
  ScaleFit fit;

  for (uint32_t epoch = 1; epoch <= config.epochs && !stopped; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    scheduler.start_epoch(epoch);
    step.lr = static_cast<float>(epoch_lr(config.rule, lr, epoch, config.epochs));
    double sse = 0;
    uint64_t seen = 0, epoch_blocks = 0;
    auto worker = [&](size_t) {
      for (;;) {
        if (callbacks.stop && callbacks.stop->load()) {
          scheduler.stop();
          return;
        }
        const std::optional<BlockScheduler::Block> b = scheduler.acquire();
        if (!b) return;
        const std::span<const BlockEntry> block = grid.block(b->row, b->col);
        const double block_sse = kernels.train_block(block.data(), block.size(), kt, step);
        scheduler.release(*b);
        std::lock_guard lock(report_mu);
        sse += block_sse;
        seen += block.size();
        ++epoch_blocks;
        ++blocks_done;
        if (callbacks.on_batch)
          callbacks.on_batch(blocks_done, total_blocks,
                             block.empty() ? 0.0 : block_sse / static_cast<double>(block.size()));
      }
    };
    parallel_for(threads, threads, worker);
    stopped = epoch_blocks < blocks_per_epoch;

    EpochResult r;
    r.epoch = epoch;
    r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.train_loss = seen ? sse / static_cast<double>(seen) : 0.0;
    r.interrupted = stopped;
    if (valid && valid->size() > 0) {
      r.has_valid = true;
      r.valid_mse = tables_mse(tables, *valid, grid.user_slot(), grid.item_slot(), kernels, threads);
      r.valid_rmse = std::sqrt(r.valid_mse);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fit.history.push_back(r);
    if (callbacks.on_epoch) callbacks.on_epoch(r);
    if (!stopped && callbacks.stop && callbacks.stop->load()) stopped = true;
  }
  fit.model = export_model(tables, model, grid.user_slot(), grid.item_slot());
  return fit;
}

}  // namespace cofi
