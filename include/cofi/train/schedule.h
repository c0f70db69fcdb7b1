// Learning-rate and momentum schedules over the steps of a training run: fastai's fit (constant)
// and fit_one_cycle.
#pragma once

#include <cstdint>
#include <string>

namespace cofi {

enum class ScheduleKind : uint8_t {
  constant,     // fastai's fit
  one_cycle,    // fastai's fit_one_cycle
  exponential,  // the learning-rate finder's sweep: lr_start * (lr / lr_start)^(t / total), momentum constant
};
const char* to_string(ScheduleKind kind);
ScheduleKind parse_schedule_kind(const std::string& text);

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::one_cycle;
  double lr = 5e-3;             // the peak (one-cycle) or constant learning rate
  // one-cycle (fastai's fit_one_cycle defaults): warm up over pct_start of the steps from
  // lr / div to lr, then cosine-anneal to lr / div_final; momentum mom_max -> mom_min -> mom_max.
  double div = 25.0, div_final = 1e5, pct_start = 0.25;
  double mom_max = 0.95, mom_min = 0.85;
  double mom = 0.9;             // constant and exponential: the momentum (SGD) or beta1 (Adam)
  double lr_start = 1e-7;       // exponential: the first step's learning rate (config.lr is the last)
};

class Schedule {
 public:
  Schedule(const ScheduleConfig& config, uint64_t total_steps);
  // Values for step t (0-based, t < total_steps), taken at the start of the step as fastai does
  // (position t / total_steps).
  double lr(uint64_t t) const;
  double mom(uint64_t t) const;
  uint64_t total_steps() const { return total_; }
  const ScheduleConfig& config() const { return config_; }

 private:
  ScheduleConfig config_;
  uint64_t total_;
};

}  // namespace cofi
