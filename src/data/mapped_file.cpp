#include "mapped_file_impl.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cofi/error.h"

namespace cofi::detail {

MappedFile::MappedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Location{path, 0, {}}, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw Error(Location{path, 0, {}}, std::string("cannot stat: ") + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(Location{path, 0, {}}, "is a directory, expected a file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw Error(Location{path, 0, {}}, std::string("cannot map: ") + std::strerror(err));
    }
    data_ = p;
    //::madvise(data_, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

void MappedFile::release(size_t begin, size_t end) const {
  if (!data_) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t lo = (begin + page - 1) / page * page;
  size_t hi = end / page * page;
  if (end >= size_) hi = (size_ + page - 1) / page * page;  // the tail page belongs to us alone
  if (hi > lo) ::madvise(static_cast<char*>(data_) + lo, hi - lo, MADV_DONTNEED);
}

}  // namespace cofi::detail
