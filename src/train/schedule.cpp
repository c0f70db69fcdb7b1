#include "cofi/train/schedule.h"

#include <cmath>
#include <numbers>

#include "cofi/error.h"

namespace cofi {

const char* to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::constant: return "constant";
    case ScheduleKind::one_cycle: return "one-cycle";
    case ScheduleKind::exponential: return "exponential";
  }
  return "?";
}

ScheduleKind parse_schedule_kind(const std::string& text) {
  if (text == "constant" || text == "fit") return ScheduleKind::constant;
  if (text == "one-cycle" || text == "one_cycle" || text == "fit_one_cycle") return ScheduleKind::one_cycle;
  if (text == "exponential") return ScheduleKind::exponential;
  throw Error("unknown schedule '" + text + "': expected one-cycle or constant");
}

namespace {

// fastai's SchedCos: from `start` to `end` along half a cosine, pos in [0, 1].
double sched_cos(double start, double end, double pos) {
  return start + (1.0 + std::cos(std::numbers::pi * (1.0 - pos))) * (end - start) / 2.0;
}

// fastai's combined_cos(pct, a, b, c): a -> b over the first pct of the run, then b -> c.
double combined_cos(double pct, double a, double b, double c, double pos) {
  if (pos < pct) return sched_cos(a, b, pos / pct);
  return sched_cos(b, c, (pos - pct) / (1.0 - pct));
}

}  // namespace

Schedule::Schedule(const ScheduleConfig& config, uint64_t total_steps) : config_(config), total_(total_steps) {
  if (!(config.lr > 0) || !std::isfinite(config.lr))
    throw Error("learning rate must be a positive number, got " + std::to_string(config.lr));
  if (total_steps == 0) throw Error("a training run needs at least one step");
  if (config.kind == ScheduleKind::exponential && !(config.lr_start > 0 && config.lr_start < config.lr))
    throw Error("the exponential sweep needs 0 < start lr < end lr");
  if (config.kind == ScheduleKind::one_cycle) {
    if (!(config.pct_start > 0 && config.pct_start < 1)) throw Error("one-cycle pct_start must be in (0, 1)");
    if (!(config.div > 0) || !(config.div_final > 0)) throw Error("one-cycle div and div_final must be positive");
  }
}

double Schedule::lr(uint64_t t) const {
  if (config_.kind == ScheduleKind::constant) return config_.lr;
  if (config_.kind == ScheduleKind::exponential) {
    double pos = static_cast<double>(t) / static_cast<double>(total_);
    return config_.lr_start * std::pow(config_.lr / config_.lr_start, pos);
  }
  double pos = static_cast<double>(t) / static_cast<double>(total_);
  return combined_cos(config_.pct_start, config_.lr / config_.div, config_.lr, config_.lr / config_.div_final, pos);
}

double Schedule::mom(uint64_t t) const {
  if (config_.kind != ScheduleKind::one_cycle) return config_.mom;
  double pos = static_cast<double>(t) / static_cast<double>(total_);
  return combined_cos(config_.pct_start, config_.mom_max, config_.mom_min, config_.mom_max, pos);
}

}  // namespace cofi
