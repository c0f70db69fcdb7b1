#include <cstdio>
#include <filesystem>

#include "commands_impl.h"
#include "cofi/data/registry.h"
#include "progress.h"

namespace cofi::cli {

int run_data_fetch(const Args& args) {
  FetchOptions o;
  o.force = args.flag("force");
  o.url = args.str("url");
  o.sha256 = args.str("sha256");
  ProgressBar bar(!args.flag("quiet"));
  o.progress = [&](uint64_t done, uint64_t total) { bar.update(done, total, 1e6, "MB"); };
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
