// libFuzzer target: the side-data readers (movies, links, tags, ml-100k items and users, the .dat
// files, users.csv, generic feature files). The first byte picks the reader; the rest becomes the file it reads (the
// readers take paths, so the bytes go through a per-process temporary file). Malformed input must
// end in cofi::Error, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cofi/data/features.h"
#include "cofi/data/side_data.h"
#include "cofi/error.h"

namespace {

std::string temp_path(const char* name) {
  return "/tmp/cofi-fuzz-side-" + std::to_string(::getpid()) + "-" + name;
}

// The temporary files go when the fuzzer exits, however many inputs it ran.
void remove_temp_files() {
  for (const char* name : {"input", "u.genre", "u.occupation", "movies.csv"}) std::remove(temp_path(name).c_str());
}

// A new file each time, not the old one truncated: ext4 flushes a file truncated to zero and
// rewritten when it is closed (auto_da_alloc), which made every input wait on the disk (17
// inputs a second instead of thousands).
void write(const std::string& path, std::string_view bytes) {
  ::unlink(path.c_str());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string input = [] {
    std::atexit(remove_temp_files);
    return temp_path("input");
  }();
  static const std::string genres = [] {
    std::string p = temp_path("u.genre");
    write(p, "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\n"
             "Documentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\n"
             "Romance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n");
    return p;
  }();
  static const std::string occupations = [] {
    std::string p = temp_path("u.occupation");
    write(p, "administrator\nartist\ndoctor\nengineer\nother\nstudent\nwriter\n");
    return p;
  }();
  static const std::string movies = [] {
    std::string p = temp_path("movies.csv");
    write(p, "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,\"Heat, The (1995)\",Action\n");
    return p;
  }();
  write(input, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    switch (data[0] % 10) {
      case 0: cofi::read_movies_csv(input); break;
      case 1: {
        cofi::Items items = cofi::read_movies_csv(movies);
        cofi::read_links_csv(input, items);
        break;
      }
      case 2: cofi::read_tags_csv(input); break;
      case 3: cofi::read_ml100k_items(input, genres); break;
      case 4: cofi::read_ml100k_users(input, occupations); break;
      case 5: cofi::read_movies_dat(input); break;
      case 6: cofi::read_users_dat(input); break;
      case 7: cofi::read_tags_dat(input); break;
      case 8: cofi::read_users_csv(input); break;
      case 9: {
        // A table that parses must keep the invariants the models check.
        cofi::FeatureTable t = cofi::read_feature_file(input);
        cofi::check_features(t.features, t.size(), "fuzz");
        break;
      }
    }
  } catch (const cofi::Error&) {
    // Malformed input: expected.
  }
  return 0;
}
