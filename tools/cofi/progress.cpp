#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace cofi::cli {

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::update(uint64_t done, uint64_t total, double unit_scale, const char* unit) {
  if (!enabled_) return;
  int pct = total ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : -1;
  if (pct == last_ && total) return;
  last_ = pct;
  drawn_ = true;
  if (total) {
    int bar = pct * 30 / 100;
    std::string fill(static_cast<size_t>(bar), '=');
    if (unit_scale > 0)
      std::fprintf(stderr, "\r  [%-30s] %3d%%  %.1f / %.1f %s", fill.c_str(), pct, static_cast<double>(done) / unit_scale,
                   static_cast<double>(total) / unit_scale, unit);
    else
      std::fprintf(stderr, "\r  [%-30s] %3d%%  %llu / %llu", fill.c_str(), pct, static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
  } else {
    std::fprintf(stderr, "\r  %.1f %s", unit_scale > 0 ? static_cast<double>(done) / unit_scale : static_cast<double>(done),
                 unit);
  }
  std::fflush(stderr);
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
  last_ = -2;
}

}  // namespace cofi::cli
