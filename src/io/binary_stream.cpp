#include "cofi/io/binary_stream.h"

#include <bit>
#include <cstring>

#include "cofi/error.h"

namespace cofi {

namespace {

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE 754 binary32 and binary64 expected");
static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "mixed-endian machines are not supported");

constexpr bool kLittle = std::endian::native == std::endian::little;

template <class T>
void put_le(std::string& out, T v) {
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b, sizeof b);
}

template <class T>
T get_le(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

void ByteWriter::u32(uint32_t v) { put_le(out_, v); }
void ByteWriter::u64(uint64_t v) { put_le(out_, v); }
void ByteWriter::f32(float v) { put_le(out_, std::bit_cast<uint32_t>(v)); }
void ByteWriter::f64(double v) { put_le(out_, std::bit_cast<uint64_t>(v)); }

void ByteWriter::str(std::string_view s) {
  u64(s.size());
  out_.append(s);
}

void ByteWriter::f32s(const float* values, size_t n) {
  if constexpr (kLittle) {
    out_.append(reinterpret_cast<const char*>(values), n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) f32(values[i]);
  }
}

void ByteWriter::patch_u64(size_t offset, uint64_t v) {
  COFI_ASSERT(offset + 8 <= out_.size());
  for (size_t i = 0; i < 8; ++i) out_[offset + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void ByteReader::fail(const std::string& message) const { throw Error(where_ + ": " + message); }

void ByteReader::check(uint64_t count, uint64_t item_bytes, std::string_view what, bool exact) const {
  // count * item_bytes may overflow; compare by division instead.
  if (item_bytes == 0 || count <= left() / item_bytes) return;
  std::string needs = count > UINT64_MAX / item_bytes ? " need more than 2^64"
                      : exact                         ? " needs " + std::to_string(count * item_bytes)
                              : " need at least " + std::to_string(count * item_bytes);
  fail(std::string(what) + needs + " bytes, " + std::to_string(left()) + " left");
}

void ByteReader::need(uint64_t count, uint64_t item_bytes, std::string_view what) const {
  check(count, item_bytes, what, false);
}

const char* ByteReader::take(uint64_t n, std::string_view what) {
  check(n, 1, what, true);
  const char* p = bytes_.data() + pos_;
  pos_ += n;
  return p;
}

uint8_t ByteReader::u8(std::string_view what) { return static_cast<uint8_t>(*take(1, what)); }
uint32_t ByteReader::u32(std::string_view what) { return get_le<uint32_t>(take(4, what)); }
uint64_t ByteReader::u64(std::string_view what) { return get_le<uint64_t>(take(8, what)); }
float ByteReader::f32(std::string_view what) { return std::bit_cast<float>(u32(what)); }
double ByteReader::f64(std::string_view what) { return std::bit_cast<double>(u64(what)); }

std::string ByteReader::str(std::string_view what) {
  uint64_t n = u64(what);
  return std::string(bytes(n, what));
}

std::string_view ByteReader::bytes(uint64_t n, std::string_view what) {
  const char* p = take(n, what);
  return {p, static_cast<size_t>(n)};
}

std::string_view ByteReader::items(uint64_t count, uint64_t item_bytes, std::string_view what) {
  check(count, item_bytes, what, true);
  return bytes(count * item_bytes, what);
}

void ByteReader::f32s(float* out, uint64_t n, std::string_view what) {
  check(n, 4, what, true);
  const char* p = take(n * 4, what);
  if constexpr (kLittle) {
    if (n) std::memcpy(out, p, n * 4);
  } else {
    for (uint64_t i = 0; i < n; ++i) out[i] = std::bit_cast<float>(get_le<uint32_t>(p + 4 * i));
  }
}

}  // namespace cofi
