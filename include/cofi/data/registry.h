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
  // Of the archive, lowercase hex, for an archive whose SHA-256 no source pins (ml-32m): fetch
  // checks the SHA-256 when it is known, else this; with neither it refuses without an override.
  std::string md5;
};

// Every data set `cofi data fetch` can download.
const std::vector<KnownDataset>& known_datasets();
const KnownDataset* find_known_dataset(const std::string& name);
// Their names, comma-separated, for messages.
std::string known_dataset_names();

// The data cache: $COFI_DATA_DIR when set, else $XDG_CACHE_HOME/cofi, else ~/.cache/cofi.
std::string data_dir();

// A path (file or folder) that exists is returned as is; otherwise a name is looked up in the
// data cache. Throws cofi::Error saying how to fix it when neither works: "cofi data fetch NAME"
// for a known name not yet downloaded, the list of known names for an unknown one.
std::string resolve_dataset(const std::string& name_or_path);

struct FetchOptions {
  std::string url;       // overrides the archive address (tests use file:// and loopback sources)
  std::string sha256;    // overrides the expected checksum (with `url`, or for a re-issued archive)
  bool force = false;    // download again even when the data set is cached
  // Unpack even though no checksum is known (neither kept in the source nor given in `sha256`).
  // Off by default: an unverified archive is refused with a message saying why.
  bool allow_unverified = false;
  // Called as bytes arrive: (bytes so far, total bytes or 0 when unknown). The total is the
  // server's Content-Length, else the known archive size. An exception thrown here aborts the
  // fetch (cleaned up like any failure) and comes back from fetch_dataset as a cofi::Error.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Downloads a known data set, checks its checksum, and unpacks it into data_dir()/NAME. Nothing
// is left half-written: the archive and the unpacked folder are built under temporary names and
// renamed into place only when complete and verified. Returns the data set's folder.
// A name that is not a known data set is accepted when `options.url` is given (tests, mirrors of
// other data): it must be a plain folder name, and its checksum comes from `options.sha256` (or is
// skipped with `allow_unverified`). Its archive's single top-level folder, if it has exactly one,
// becomes data_dir()/NAME; otherwise everything in the archive does.
std::string fetch_dataset(const std::string& name, const FetchOptions& options = {});

}  // namespace cofi
