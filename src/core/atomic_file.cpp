#include "cofi/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cofi/error.h"

namespace cofi {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw Error(path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

AtomicFile::AtomicFile(std::string path, unsigned mode)
    : path_(std::move(path)), temp_(path_ + ".tmp.XXXXXX") {
  fd_ = ::mkostemp(temp_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    temp_.clear();
    fail(path_, "cannot create a temporary file beside it", err);
  }
  // mkostemp creates 0600; outputs are shareable like any file the user writes.
  ::fchmod(fd_, static_cast<mode_t>(mode));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  COFI_ASSERT(fd_ >= 0);
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "cannot write", errno);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  COFI_ASSERT(fd_ >= 0 && !committed_);
  // The data reaches the disk before the name does: a crash after the rename finds it whole.
  // Delayed allocation can also report a full disk only here.
  if (::fsync(fd_) != 0) fail(path_, "cannot write (fsync)", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(path_, "cannot write (close)", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail(path_, "cannot write", errno);
  committed_ = true;
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode) {
  AtomicFile f(path, mode);
  f.write(bytes);
  f.commit();
}

}  // namespace cofi
