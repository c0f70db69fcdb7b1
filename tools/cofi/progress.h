// A one-line progress bar on stderr, drawn only when stderr is a terminal, redrawn at most once
// per percent.
#pragma once

#include <cstdint>

namespace cofi::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  // `done` of `total` units; `unit_scale` divides both for display with `unit` ("MB"), or 0 to
  // show a plain count.
  void update(uint64_t done, uint64_t total, double unit_scale = 0, const char* unit = "");
  void clear();  // erase the line (before printing a table row)

 private:
  bool enabled_;
  bool drawn_ = false;
  int last_ = -2;
};

}  // namespace cofi::cli
