// A read-only file mapped into memory, with a way to drop parsed pages from resident memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cofi::detail {

class MappedFile {
 public:
  // Throws cofi::Error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  // Tells the kernel the bytes in [begin, end) are no longer needed (whole pages inside only).
  void release(size_t begin, size_t end) const;

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cofi::detail
