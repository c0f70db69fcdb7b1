// Data sets by name: the GroupLens MovieLens archives cofi knows (address, checksum, layout),
// the data cache they unpack into, and name-or-path resolution used by every command that
// takes data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cofi {

struct KnownDataset {
  std::string name;          // "ml-latest-small"
  std::string url;           // the GroupLens archive (HTTPS)
  std::string sha256;        // of the archive, lowercase hex, kept in the source
  uint64_t size_bytes;       // of the archive, for the progress bar before the server says
  std::string folder;        // top-level folder inside the archive ("ml-latest-small")
  std::string description;   // one line for `cofi data list`
};

// Every data set `cofi data fetch` can download.
const std::vector<KnownDataset>& known_datasets();
const KnownDataset* find_known_dataset(const std::string& name);

// The data cache: $COFI_DATA_DIR when set, else $XDG_CACHE_HOME/cofi, else ~/.cache/cofi.
std::string data_dir();

// A path (file or folder) that exists is returned as is; otherwise a name is looked up in the
// data cache. Throws cofi::Error saying how to fix it when neither works: "cofi data fetch NAME"
// for a known name not yet downloaded, the list of known names for an unknown one.
std::string resolve_dataset(const std::string& name_or_path);

struct FetchOptions {
  std::string url;       // overrides the archive address (tests use file:// and loopback sources)
  std::string sha256;    // overrides the expected checksum (with `url`)
  bool force = false;    // download again even when the data set is cached
  // Called as bytes arrive: (bytes so far, total bytes or 0 when unknown).
  std::function<void(uint64_t, uint64_t)> progress;
};

// Downloads a known data set, checks its checksum, and unpacks it into data_dir()/NAME. Nothing
// is left half-written: the archive and the unpacked folder are built under temporary names and
// renamed into place only when complete and verified. Returns the data set's folder.
std::string fetch_dataset(const std::string& name, const FetchOptions& options = {});

}  // namespace cofi
