// Column<T>: one contiguous typed array, either owned (built from a std::vector) or a view into
// memory kept alive by an owner handle (a memory-mapped binary cache, see binary_cache.h).
// Ratings are stored as columns, not as per-rating objects, so that 25M ratings are three
// flat arrays (12 bytes a rating) plus optional timestamps.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace cofi {

template <class T>
class Column {
 public:
  Column() = default;
  explicit Column(std::vector<T> values) {
    auto owned = std::make_shared<std::vector<T>>(std::move(values));
    data_ = owned->data();
    size_ = owned->size();
    owner_ = std::move(owned);
  }
  // Takes over an array of at least `size` values (for example from
  // std::make_unique_for_overwrite, which skips zeroing memory that is about to be written).
  static Column adopt(std::unique_ptr<T[]> values, size_t size) {
    std::shared_ptr<T[]> owned(std::move(values));
    T* data = owned.get();
    return Column(data, size, std::shared_ptr<const void>(owned, data));
  }
  // A view of `size` values at `data`, valid while `owner` lives. The memory must be writable
  // (a private, copy-on-write mapping is): columns may be edited in place, for example when
  // ratings are remapped or shuffled.
  Column(T* data, size_t size, std::shared_ptr<const void> owner)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  std::span<T> span() { return {data_, size_}; }
  std::span<const T> span() const { return {data_, size_}; }
  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

 private:
  std::shared_ptr<const void> owner_;
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cofi
