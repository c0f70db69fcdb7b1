// Files that must never be seen half-written (models, checkpoints, metrics, plots, split files):
// written under a temporary name in the same folder, flushed to disk, then renamed over the final
// path, so that a reader, a crash or a full disk leaves either the old file or the whole new one.
// Every failure throws cofi::Error starting with the final path and ending with the system's
// reason ("m.cofi: cannot write: No space left on device"); the temporary file is removed.
#pragma once

#include <string>
#include <string_view>

namespace cofi {

class AtomicFile {
 public:
  // Creates PATH.tmp.XXXXXX (mode `mode`) beside `path`. Throws "PATH: cannot create a temporary
  // file beside it: REASON" when the folder is missing, read-only, full or not a folder.
  explicit AtomicFile(std::string path, unsigned mode = 0644);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes to the temporary file ("PATH: cannot write: REASON").
  void write(std::string_view bytes);
  // fsync, close, rename over the final path, then fsync the folder so that the rename itself is
  // durable (best effort: some file systems refuse to sync a folder).
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// The whole of `bytes` as the file `path`, atomically (see AtomicFile).
void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode = 0644);

}  // namespace cofi
