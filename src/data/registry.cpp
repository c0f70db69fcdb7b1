#include "cofi/data/registry.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "cofi/error.h"

namespace fs = std::filesystem;

namespace cofi {

// The checksums are copied from projects that pin these exact archives; none was computed here
// (there is no network on the build machines) and none is guessed. Sources:
//  [tfds]  tensorflow/datasets, tensorflow_datasets/url_checksums/movielens.txt
//          (URL, size in bytes and SHA-256 per archive)
//  [omni]  ISG-Siegen/OmniRec, src/omnirec/data_loaders/movielens_small.py (ml-1m, ml-10m),
//          movielens_large.py (ml-latest-small, ml-20m, ml-25m), movielens_100k.py (SHA-256)
//  [lk]    lenskit/lk-demo-experiment, data/ml-10m.zip.dvc and data/ml-32m.zip.dvc (MD5; the size
//          and the server's ETag, whose first half is the size in hex)
//  [pwc]   eli-osherovich/papers_with_code, datasets/movielens/dl_config.py (MD5 of ml-10m)
// GroupLens itself publishes only an MD5 next to each archive (NAME.zip.md5). Where a SHA-256 is
// pinned it is the one checked; the MD5 is kept only where no SHA-256 could be found (ml-32m).
// GroupLens re-issues ml-latest-small now and then; the pinned one is the September 2018 release
// (100,836 ratings), so a newer release fails the check and needs FetchOptions::sha256.
const std::vector<KnownDataset>& known_datasets() {
  static const std::vector<KnownDataset> kKnown = {
      {"ml-latest-small", "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
       // [tfds] and [omni] agree; 978202 bytes also matches the ETag in [lk] ml-latest-small.zip.dvc
       "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436", 978202, "ml-latest-small",
       "100,836 ratings of 9,742 movies by 610 users (2018 release); small, for development", ""},
      {"ml-100k", "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
       // [tfds] and [omni] agree
       "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229", 4924029, "ml-100k",
       "100,000 ratings of 1,682 movies by 943 users (1998), with user demographics", ""},
      {"ml-1m", "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
       // [tfds] and [omni] agree
       "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20", 5917549, "ml-1m",
       "1,000,209 ratings of 3,706 movies by 6,040 users (2003), with user demographics", ""},
      {"ml-10m", "https://files.grouplens.org/datasets/movielens/ml-10m.zip",
       // SHA-256 from [omni]; its MD5 ce571fd55effeba0271552578f2648bd ([lk], [pwc]) and size
       // 65566137 (ETag 3e875b9 in [lk]) are corroborated elsewhere. Unpacks to "ml-10M100K".
       "813c411ccb6122564edfe752e7f80c4dcc5aa25fa94c93622f6877a7ba252862", 65566137, "ml-10M100K",
       "10,000,054 ratings and 95,580 tags of 10,681 movies by 71,567 users (2009)", ""},
      {"ml-20m", "https://files.grouplens.org/datasets/movielens/ml-20m.zip",
       // [tfds] and [omni] agree
       "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3", 198702078, "ml-20m",
       "20,000,263 ratings of 27,278 movies by 138,493 users (2015), with tag genome", ""},
      {"ml-25m", "https://files.grouplens.org/datasets/movielens/ml-25m.zip",
       // [tfds] and [omni] agree; size also in [lk] data/ml-25m.zip.dvc
       "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa", 261978986, "ml-25m",
       "25,000,095 ratings of 62,423 movies by 162,541 users (2019), with tag genome", ""},
      {"ml-32m", "https://files.grouplens.org/datasets/movielens/ml-32m.zip",
       // No SHA-256 found in any source; MD5 and size from [lk] data/ml-32m.zip.dvc, the same MD5
       // that several other projects copy from GroupLens' ml-32m.zip.md5.
       "", 238950008, "ml-32m",
       "32,000,204 ratings of 87,585 movies by 200,948 users (2023)",
       "d472be332d4daa821edc399621853b57"},
  };
  return kKnown;
}

const KnownDataset* find_known_dataset(const std::string& name) {
  for (const KnownDataset& d : known_datasets())
    if (d.name == name) return &d;
  return nullptr;
}

std::string known_dataset_names() {
  std::string out;
  for (const KnownDataset& d : known_datasets()) {
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out;
}

namespace {

// An environment variable, or empty when it is unset or set to the empty string (which the XDG
// spec says to treat as unset).
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

std::string data_dir() {
  if (std::string dir = env("COFI_DATA_DIR"); !dir.empty()) return dir;
  // XDG: a relative $XDG_CACHE_HOME is invalid and must be ignored.
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty() && xdg.front() == '/')
    return (fs::path(xdg) / "cofi").string();
  if (std::string home = env("HOME"); !home.empty()) return (fs::path(home) / ".cache" / "cofi").string();
  throw Error("cannot place the data cache: none of COFI_DATA_DIR, XDG_CACHE_HOME or HOME is set; "
              "set COFI_DATA_DIR to a folder");
}

std::string resolve_dataset(const std::string& name_or_path) {
  if (name_or_path.empty()) throw Error("no data set given: name a known data set or a path");
  if (path_exists(name_or_path)) return name_or_path;
  // With a separator or a leading dot it was meant as a path: the cache holds plain names only.
  if (name_or_path.find('/') != std::string::npos || name_or_path.front() == '.')
    throw Error(Location{name_or_path, 0, {}}, "no such file or folder");

  const std::string dir = data_dir();
  const KnownDataset* known = find_known_dataset(name_or_path);
  if (fs::path p = fs::path(dir) / name_or_path; path_exists(p)) return p.string();
  // A cache filled by hand may hold the archive's own folder name (ml-10M100K for ml-10m).
  if (known && known->folder != known->name)
    if (fs::path p = fs::path(dir) / known->folder; path_exists(p)) return p.string();

  if (known)
    throw Error("data set '" + name_or_path + "' is not in the data cache (" + dir + "): run `cofi data fetch " +
                name_or_path + "` to download it, or set COFI_DATA_DIR");
  // "ratings.csv" was meant as a file, not as the name of a data set.
  if (fs::path(name_or_path).has_extension())
    throw Error(Location{name_or_path, 0, {}},
                "no such file or folder (nor a data set of that name in the data cache " + dir + ")");
  throw Error("unknown data set '" + name_or_path + "' (looked in the data cache " + dir +
              "): known data sets are " + known_dataset_names() +
              "; a path to a folder or a ratings file also works");
}

}  // namespace cofi
