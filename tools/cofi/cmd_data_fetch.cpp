#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "commands_impl.h"
#include "cofi/data/registry.h"

namespace cofi::cli {

namespace {

// A one-line progress bar on stderr, redrawn at most every percent.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\n");
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!enabled_) return;
    int pct = total ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : -1;
    if (pct == last_ && total) return;
    last_ = pct;
    drawn_ = true;
    if (total) {
      int bar = pct * 30 / 100;
      std::fprintf(stderr, "\r  [%-30s] %3d%%  %.1f / %.1f MB", std::string(static_cast<size_t>(bar), '=').c_str(), pct,
                   static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
    } else {
      std::fprintf(stderr, "\r  %.1f MB", static_cast<double>(done) / 1e6);
    }
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  int last_ = -2;
};

}  // namespace

int run_data_fetch(const Args& args) {
  FetchOptions o;
  o.force = args.flag("force");
  o.url = args.str("url");
  o.sha256 = args.str("sha256");
  ProgressBar bar(!args.flag("quiet"));
  o.progress = [&](uint64_t done, uint64_t total) { bar(done, total); };
  std::string dir = fetch_dataset(args.str("NAME"), o);
  std::printf("%s is in %s\n", args.str("NAME").c_str(), dir.c_str());
  return 0;
}

int run_data_list(const Args&) {
  std::printf("data cache: %s\n\n", data_dir().c_str());
  for (const auto& k : known_datasets()) {
    bool cached = std::filesystem::is_directory(std::filesystem::path(data_dir()) / k.name) ||
                  std::filesystem::is_directory(std::filesystem::path(data_dir()) / k.folder);
    std::printf("  %-16s %-8s %7.1f MB  %s\n", k.name.c_str(), cached ? "cached" : "-",
                static_cast<double>(k.size_bytes) / 1e6, k.description.c_str());
  }
  return 0;
}

}  // namespace cofi::cli
