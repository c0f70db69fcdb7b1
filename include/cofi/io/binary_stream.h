// Little-endian binary streams over memory: the Reader/Writer seam under the model file, so that
// encoders and decoders run on bytes (tests round-trip through memory; files are one read or
// write of the whole buffer). Every value is written little-endian whatever the machine, and
// every read is checked against the bytes left: a short read throws cofi::Error naming what was
// being read, how many bytes it needed and how many were left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cofi {

// Appends little-endian values to a growing buffer.
class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void f32(float v);   // IEEE 754 binary32
  void f64(double v);  // IEEE 754 binary64
  void bytes(std::string_view b) { out_.append(b); }
  void str(std::string_view s);              // u64 byte length, then the bytes (no terminator)
  void f32s(const float* values, size_t n);  // n x f32, no count

  // Overwrites the u64 at `offset` (written earlier, e.g. a length not known until later).
  void patch_u64(size_t offset, uint64_t v);

  size_t size() const { return out_.size(); }
  const std::string& buffer() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads little-endian values from bytes it does not own (they must outlive the reader).
// `where` starts every message: "model.cofi: section 'parameters'".
class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string where) : bytes_(bytes), where_(std::move(where)) {}

  size_t left() const { return bytes_.size() - pos_; }
  size_t offset() const { return pos_; }
  const std::string& where() const { return where_; }

  // Each read names what it reads ("user count") for the message when too few bytes are left:
  // "WHERE: WHAT needs N bytes, M left".
  uint8_t u8(std::string_view what);
  uint32_t u32(std::string_view what);
  uint64_t u64(std::string_view what);
  float f32(std::string_view what);
  double f64(std::string_view what);
  std::string str(std::string_view what);                     // u64 length, checked, then the bytes
  std::string_view bytes(uint64_t n, std::string_view what);  // a view into the input
  // `count` items of `item_bytes` each as one view (the product is checked without overflow).
  std::string_view items(uint64_t count, uint64_t item_bytes, std::string_view what);
  void f32s(float* out, uint64_t n, std::string_view what);  // n x f32

  // Throws unless `count` items of at least `item_bytes` each fit in what is left: the check
  // made before trusting a count read from the input (and before allocating for it).
  // The message reads "WHERE: WHAT need at least N bytes, M left" ("3 user ids need ...", or
  // "need more than 2^64 bytes" when the product overflows).
  void need(uint64_t count, uint64_t item_bytes, std::string_view what) const;

  // Throws "WHERE: MESSAGE".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const char* take(uint64_t n, std::string_view what);
  void check(uint64_t count, uint64_t item_bytes, std::string_view what, bool exact) const;

  std::string_view bytes_;
  size_t pos_ = 0;
  std::string where_;
};

}  // namespace cofi
