// Writes valid binary cache entries into a folder, as seeds for fuzz_binary_cache: run before
// the fuzz test (a ctest fixture) so that the seeds always match the current entry format.
// Usage: fuzz_make_cache_seeds OUT_DIR
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cofi/data/binary_cache.h"
#include "cofi/error.h"

namespace fs = std::filesystem;

namespace {

struct Seed {
  const char* name;
  const char* text;
  cofi::RatingsFormat format;
  cofi::ReadOptions options;
};

cofi::RatingsFormat strings(bool timestamps) {
  cofi::RatingsFormat f;
  f.delimiter = "\t";
  f.ids = cofi::IdKind::string;
  f.timestamp_column = timestamps ? 3 : -1;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path work = out / ".seed-work";
  std::error_code ec;
  fs::create_directories(work / "cache", ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", work.c_str(), ec.message().c_str());
    return 1;
  }
  ::setenv("COFI_CACHE_DIR", (work / "cache").c_str(), 1);

  cofi::ReadOptions skip;
  skip.skip_bad = true;
  skip.duplicates = cofi::DuplicatePolicy::mean;
  cofi::ReadOptions no_ts;
  no_ts.timestamps = false;
  const Seed seeds[] = {
      {"int-ids-timestamps", "1,10,4,100\n1,3,3.5,200\n2,10,5,300\n", {}, {}},
      {"int-ids-no-timestamps", "1,10,4,100\n7,3,3.5,200\n", {}, no_ts},
      {"int-ids-skipped-duplicates", "1,10,4,100\nx,1,1,1\n1,10,2,200\n9,9,9,9\n", {}, skip},
      {"string-ids-timestamps", "alice\tm1\t4\t100\nbob\tm2\t3\t200\n", strings(true), {}},
      {"string-ids-no-timestamps", "alice\tm1\t4\ncarol\tm1\t2\n", strings(false), {}},
  };
  int made = 0;
  for (const auto& seed : seeds) {
    const fs::path source = work / (std::string(seed.name) + ".txt");
    std::ofstream(source, std::ios::binary) << seed.text;
    try {
      cofi::read_ratings_cached(source, seed.format, seed.options);
    } catch (const cofi::Error& e) {
      std::fprintf(stderr, "%s: %s\n", seed.name, e.what());
      return 1;
    }
    for (const auto& entry : fs::directory_iterator(work / "cache")) {
      fs::rename(entry.path(), out / (std::string("seed-") + seed.name + ".cofirat"));
      ++made;
    }
  }
  fs::remove_all(work, ec);
  if (made != static_cast<int>(std::size(seeds))) {
    std::fprintf(stderr, "wrote %d seeds, expected %zu\n", made, std::size(seeds));
    return 1;
  }
  return 0;
}
