// libFuzzer target: whole data sets as load_dataset finds them. The first byte picks a layout;
// the rest is cut at each \x01 byte into the files of a folder of that layout (a missing part
// leaves its file out), so that one input exercises layout detection (from the files present,
// or from a single file's name and header), the ratings reader with the detected format, the
// side-data readers as a folder combines them (ml-100k's u.item with the u.genre vocabulary,
// u.user with u.occupation), and ml-100k's predefined split files re-indexed into the full
// ratings. Malformed input must end in cofi::Error; a data set that loads must keep the promises
// checked below.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cofi/data/dataset.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "fuzz_ratings.h"

namespace fs = std::filesystem;

namespace {

struct Scenario {
  const char* folder;              // a sub-folder of the scratch folder, emptied for each input
  std::vector<const char*> files;  // the parts of the input, in order
  const char* load;                // what load_dataset is given: "" for the folder, else a file in it
};

// Folders of each layout, and single files detected by name or header.
const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> s = {
      {"latest", {"ratings.csv", "movies.csv", "links.csv", "tags.csv", "users.csv"}, ""},
      {"100k", {"u.data", "u.item", "u.genre", "u.user", "u.occupation", "u1.base", "u1.test"}, ""},
      {"1m", {"ratings.dat", "movies.dat", "users.dat"}, ""},
      {"10m", {"ratings.dat", "movies.dat", "tags.dat"}, ""},
      {"file", {"train.csv"}, "train.csv"},          // detected from its header, or delimited
      {"split", {"u2.base", "u2.test"}, "u2.test"},  // ml-100k by name
  };
  return s;
}

// A private scratch folder, removed when the fuzzer exits. Allocated and never destroyed: the
// exit handler runs after static destructors of objects made before it was registered.
const std::string& scratch() {
  static const std::string& dir = *[] {
    std::string tmpl = (fs::temp_directory_path() / "cofi-fuzz-dataset-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    auto* made = new std::string(tmpl);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return made;
  }();
  return dir;
}

void write(const fs::path& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
}

// What a loaded data set promises beyond its ratings' own invariants.
void check_dataset(const cofi::Dataset& d, const cofi::LoadOptions& options) {
  cofi::fuzz::check_result(d.ratings, d.format, options.read, d.report);
  if (d.items) {
    const cofi::Items& it = *d.items;
    COFI_FUZZ_CHECK(it.ids.size() == it.size());
    COFI_FUZZ_CHECK(it.years.size() == it.size() && it.genres.size() == it.size());
    COFI_FUZZ_CHECK(it.imdb_ids.empty() || it.imdb_ids.size() == it.size());
    COFI_FUZZ_CHECK(it.tmdb_ids.empty() || it.tmdb_ids.size() == it.size());
    for (const auto& g : it.genres)
      for (uint16_t k : g) COFI_FUZZ_CHECK(k < it.genre_names.size());
  }
  if (d.users) {
    const cofi::Users& u = *d.users;
    COFI_FUZZ_CHECK(u.ids.size() == u.size());
    for (const auto& row : u.values) COFI_FUZZ_CHECK(row.size() == u.attribute_names.size());
  }
  if (d.tags) {
    const cofi::Tags& t = *d.tags;
    COFI_FUZZ_CHECK(t.user.size() == t.size() && t.item.size() == t.size() && t.timestamp.size() == t.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  const Scenario& s = scenarios()[data[0] % scenarios().size()];
  const fs::path dir = fs::path(scratch()) / s.folder;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directory(dir);
  size_t start = 0;
  for (const char* name : s.files) {
    if (start > bytes.size()) break;
    size_t end = bytes.find('\x01', start);
    if (end == std::string_view::npos) end = bytes.size();
    write(dir / name, bytes.substr(start, end - start));
    start = end + 1;
  }
  cofi::LoadOptions options;
  options.use_cache = false;
  options.read.threads = 1;
  options.read.skip_bad = data[0] >= 128;  // the strict and the forgiving reader, by the same byte
  const std::string path = *s.load ? (dir / s.load).string() : dir.string();
  try {
    cofi::Dataset d = cofi::load_dataset(path, options);
    check_dataset(d, options);
    for (const auto& split : d.splits) {
      cofi::TrainTest tt = cofi::load_predefined_split(d, split.name, options.read);
      // Both files are re-indexed into the full data set's ids.
      for (const cofi::Ratings* r : {&tt.train, &tt.test}) {
        COFI_FUZZ_CHECK(r->users == d.ratings.users && r->items == d.ratings.items);
        for (size_t k = 0; k < r->size(); ++k)
          COFI_FUZZ_CHECK(r->user[k] < d.ratings.n_users() && r->item[k] < d.ratings.n_items());
      }
    }
  } catch (const cofi::Error&) {
    // Malformed input: expected.
  }
  return 0;
}
