#include "cofi/train/lr_find.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>

#include "cofi/error.h"
#include "cofi/random.h"
#include "cofi/train/schedule.h"

namespace cofi {

namespace {

// fastai's valley: the longest run of decreasing (smoothed) loss, and a rate 2/3 of the way
// down it, where the loss still falls steeply but well before the minimum.
size_t valley_index(const std::vector<double>& losses) {
  const size_t n = losses.size();
  std::vector<size_t> lds(n, 1);
  size_t max_start = 0, max_end = 0;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j)
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
    if (lds[max_end] < lds[i]) {
      max_end = i;
      max_start = max_end - lds[max_end];
    }
  }
  double sections = static_cast<double>(max_end - max_start) / 3.0;
  return max_start + static_cast<size_t>(sections) + static_cast<size_t>(sections / 2);
}

}  // namespace

LrFindResult lr_find(Model& model, const Ratings& train, const LrFindConfig& config) {
  if (train.size() == 0) throw Error("no training ratings");
  if (model.config().kind == ModelKind::content)
    throw Error("a content model has no learning rate: it is fitted in closed form");
  if (config.num_it < 10) throw Error("the learning-rate finder needs at least 10 iterations");
  std::vector<Parameter> saved = model.parameters();

  ScheduleConfig sc;
  sc.kind = ScheduleKind::exponential;
  sc.lr_start = config.start_lr;
  sc.lr = config.end_lr;
  sc.mom = config.mom;
  Schedule schedule(sc, config.num_it);
  OptimizerConfig oc = config.optimizer;
  Optimizer opt(oc, model.parameters(), schedule);
  Gradients grads(model.parameters());

  // Batches in a shuffled order, as in an epoch.
  std::vector<uint32_t> order(train.size());
  std::iota(order.begin(), order.end(), 0u);
  SplitMix64 rng = stream(config.seed, 0x1f);
  shuffle(std::span<uint32_t>(order), rng);

  LrFindResult out;
  std::vector<uint32_t> bu(config.batch_size), bi(config.batch_size);
  std::vector<float> pred(config.batch_size), dout(config.batch_size);
  double avg = 0, best = std::numeric_limits<double>::infinity();
  size_t pos = 0;
  for (uint32_t it = 0; it < config.num_it; ++it) {
    size_t len = std::min<size_t>(config.batch_size, train.size());
    if (pos + len > order.size()) pos = 0;
    for (size_t k = 0; k < len; ++k) {
      bu[k] = train.user[order[pos + k]];
      bi[k] = train.item[order[pos + k]];
    }
    opt.prepare_batch(bu.data(), bi.data(), len);
    model.forward(bu.data(), bi.data(), len, pred.data(), true, config.seed + it);
    double loss = 0;
    for (size_t k = 0; k < len; ++k) {
      float d = pred[k] - train.rating[order[pos + k]];
      loss += static_cast<double>(d) * d;
      dout[k] = 2.0f * d / static_cast<float>(len);
    }
    loss /= static_cast<double>(len);
    pos += len;
    double lr = schedule.lr(it);
    grads.clear();
    model.backward(dout.data(), grads);
    opt.step(grads);
    avg = 0.98 * avg + 0.02 * loss;
    double smooth = avg / (1.0 - std::pow(0.98, static_cast<double>(it + 1)));
    out.lrs.push_back(lr);
    out.losses.push_back(loss);
    out.smoothed.push_back(smooth);
    best = std::min(best, smooth);
    if (!std::isfinite(smooth) || (config.stop_div && smooth > 4 * best)) break;
  }
  model.parameters() = std::move(saved);

  // As fastai: skip the first tenth and the last five points, which are noise and divergence.
  size_t lo = out.lrs.size() / 10, hi = out.lrs.size() > 5 ? out.lrs.size() - 5 : out.lrs.size();
  if (hi <= lo + 2) {
    lo = 0;
    hi = out.lrs.size();
  }
  std::vector<double> lrs(out.lrs.begin() + static_cast<std::ptrdiff_t>(lo),
                          out.lrs.begin() + static_cast<std::ptrdiff_t>(hi));
  std::vector<double> losses(out.smoothed.begin() + static_cast<std::ptrdiff_t>(lo),
                             out.smoothed.begin() + static_cast<std::ptrdiff_t>(hi));
  if (lrs.empty()) throw Error("the learning-rate finder stopped before it could suggest a rate");
  out.valley = lrs[std::min(valley_index(losses), lrs.size() - 1)];
  size_t argmin = static_cast<size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
  out.minimum = lrs[argmin] / 10;
  // Steepest: the largest drop of loss per log-lr step.
  double steepest = 0;
  size_t at = 0;
  for (size_t k = 1; k < losses.size(); ++k) {
    double slope = (losses[k - 1] - losses[k]) / (std::log(lrs[k]) - std::log(lrs[k - 1]));
    if (slope > steepest) {
      steepest = slope;
      at = k;
    }
  }
  out.steep = lrs[at];
  return out;
}

}  // namespace cofi
