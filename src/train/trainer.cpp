#include "cofi/train/trainer.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <span>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "cofi/random.h"
#include "cofi/train/content.h"

namespace cofi {

namespace {

void check_indices(const Model& model, const Ratings& data, const char* what) {
  const auto& c = model.config();
  if (data.n_users() > c.n_users || data.n_items() > c.n_items)
    throw Error(std::string(what) + " data has " + std::to_string(data.n_users()) + " users and " +
                std::to_string(data.n_items()) + " items; the model has " + std::to_string(c.n_users) +
                " and " + std::to_string(c.n_items));
}

}  // namespace

double mean_squared_error(const Model& model, const Ratings& data, unsigned threads) {
  constexpr size_t kBlock = 8192;
  const size_t n = data.size();
  if (n == 0) return 0;
  const size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> sums(blocks, 0.0);
  parallel_for(blocks, threads, [&](size_t b) {
    size_t lo = b * kBlock, len = std::min(n, lo + kBlock) - lo;
    std::vector<float> pred(len);
    model.predict(data.user.data() + lo, data.item.data() + lo, len, pred.data());
    double s = 0;
    for (size_t k = 0; k < len; ++k) {
      double d = static_cast<double>(pred[k]) - static_cast<double>(data.rating[lo + k]);
      s += d * d;
    }
    sums[b] = s;
  });
  // Summed in block order: the result does not depend on the thread count.
  return std::accumulate(sums.begin(), sums.end(), 0.0) / static_cast<double>(n);
}

RunSteps run_steps(size_t n, const TrainConfig& config) {
  // With drop_last a data set smaller than one batch still makes one (partial) batch.
  const bool drop = config.drop_last && n >= config.batch_size;
  const size_t used = drop ? n / config.batch_size * config.batch_size : n;
  RunSteps r;
  r.per_epoch = (used + config.batch_size - 1) / config.batch_size;
  r.total = r.per_epoch * config.epochs;
  return r;
}

std::vector<EpochResult> fit(Model& model, const Ratings& train, const Ratings* valid,
                             const TrainConfig& config, const TrainCallbacks& callbacks, TrainState* state) {
  if (train.size() == 0) throw Error("no training ratings");
  if (config.epochs == 0) throw Error("epochs must be at least 1");
  if (config.batch_size == 0) throw Error("batch size must be at least 1");
  check_indices(model, train, "training");
  if (valid) check_indices(model, *valid, "validation");
  if (model.config().kind == ModelKind::content) {
    // Fitted in closed form: one pass, reported as one epoch.
    ContentFitOptions co;
    co.threads = config.threads;
    std::vector<EpochResult> results{fit_content(model, train, valid, co)};
    if (callbacks.on_epoch) callbacks.on_epoch(results.front());
    // Nothing to resume: the run is finished whatever its epochs were.
    if (state) state->progress.epochs_done = config.epochs;
    return results;
  }

  const size_t n = train.size();
  const RunSteps steps = run_steps(n, config);
  // The ratings an epoch uses: whole batches only under drop_last.
  const size_t used = std::min<size_t>(n, steps.per_epoch * config.batch_size);
  const uint64_t batches_per_epoch = steps.per_epoch;
  const uint64_t total = steps.total;
  Schedule schedule(config.schedule, total);
  Optimizer optimizer(config.optimizer, model.parameters(), schedule);
  Gradients grads(model.parameters());

  TrainProgress at;
  if (state && (state->progress.epochs_done > 0 || state->progress.batches_done > 0)) {
    const TrainProgress& p = state->progress;
    if (p.epochs_done >= config.epochs)
      throw Error("the saved run has done all " + std::to_string(config.epochs) + " of its epochs");
    if (p.batches_done >= batches_per_epoch)
      throw Error("the saved run is at batch " + std::to_string(p.batches_done) + " of an epoch of " +
                  std::to_string(batches_per_epoch) + " batches");
    if (state->optimizer.t != p.epochs_done * batches_per_epoch + p.batches_done)
      throw Error("the saved optimizer is at step " + std::to_string(state->optimizer.t) +
                  ", the saved run at step " +
                  std::to_string(p.epochs_done * batches_per_epoch + p.batches_done) + " (" +
                  std::to_string(batches_per_epoch) + " batches an epoch)");
    optimizer.restore(std::move(state->optimizer));
    at = p;
  }

  std::vector<uint32_t> order(n);
  std::vector<uint32_t> bu(config.batch_size), bi(config.batch_size);
  std::vector<float> pred(config.batch_size), dout(config.batch_size);
  std::vector<EpochResult> results;

  for (uint32_t epoch = at.epochs_done + 1; epoch <= config.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    // Each epoch's order depends on (seed, epoch) alone, so a resumed run can draw it again.
    std::iota(order.begin(), order.end(), 0u);
    SplitMix64 rng = stream(config.seed, epoch);
    shuffle(std::span<uint32_t>(order), rng);
    // A run resumed inside this epoch continues after the batches it took, and its mean loss.
    double loss_sum = at.loss_sum;
    uint64_t batches = at.batches_done;
    at.batches_done = 0;
    at.loss_sum = 0;
    bool stopped = false;
    for (size_t start = batches * config.batch_size; start < used; start += config.batch_size) {
      size_t len = std::min<size_t>(config.batch_size, used - start);
      for (size_t k = 0; k < len; ++k) {
        uint32_t r = order[start + k];
        bu[k] = train.user[r];
        bi[k] = train.item[r];
      }
      uint64_t step = optimizer.steps_done();
      optimizer.prepare_batch(bu.data(), bi.data(), len);
      model.forward(bu.data(), bi.data(), len, pred.data(), true,
                    config.seed ^ (step * 0x9E3779B97F4A7C15ull));
      // MSE over the batch: loss = mean (pred - y)^2, dloss/dpred = 2 (pred - y) / len.
      double loss = 0;
      const float scale = 2.0f / static_cast<float>(len);
      for (size_t k = 0; k < len; ++k) {
        float d = pred[k] - train.rating[order[start + k]];
        loss += static_cast<double>(d) * d;
        dout[k] = scale * d;
      }
      loss /= static_cast<double>(len);
      grads.clear();
      model.backward(dout.data(), grads);
      optimizer.step(grads);
      loss_sum += loss;
      ++batches;
      if (callbacks.on_batch) callbacks.on_batch(optimizer.steps_done(), total, loss);
      // A stop during an epoch's last batch leaves that epoch whole: it is not marked interrupted.
      if (callbacks.stop && callbacks.stop->load()) {
        stopped = true;
        break;
      }
    }
    optimizer.catch_up_all();
    double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EpochResult r;
    r.train_seconds = train_seconds;
    r.epoch = epoch;
    r.train_loss = loss_sum / static_cast<double>(batches);
    r.interrupted = stopped && batches < batches_per_epoch;
    if (valid && valid->size() > 0) {
      r.has_valid = true;
      r.valid_mse = mean_squared_error(model, *valid, config.threads);
      r.valid_rmse = std::sqrt(r.valid_mse);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    results.push_back(r);
    if (r.interrupted) {
      at.batches_done = batches;
      at.loss_sum = loss_sum;
    } else {
      at.epochs_done = epoch;
    }
    if (callbacks.on_epoch) callbacks.on_epoch(r);
    if (!r.interrupted && callbacks.on_checkpoint) callbacks.on_checkpoint(at, optimizer.state());
    if (stopped) break;
  }
  if (state) {
    state->progress = at;
    state->optimizer = optimizer.release();
  }
  return results;
}

}  // namespace cofi
