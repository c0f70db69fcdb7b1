// Private helpers shared by the text readers: splitting, strict number parsing, UTF-8 checks.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <fast_float/fast_float.h>

namespace cofi::detail {

// Strips one trailing '\r' (CRLF line ends). Returns true when there was one.
inline bool strip_cr(std::string_view& line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    return true;
  }
  return false;
}

inline bool starts_with_bom(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xEF &&
         static_cast<unsigned char>(bytes[1]) == 0xBB && static_cast<unsigned char>(bytes[2]) == 0xBF;
}

// Splits `line` at `delim` (one or more bytes) into `out`, at most `max_out` views; returns the
// total number of fields (which may exceed max_out: the rest are counted, not stored).
inline int split_fields(std::string_view line, std::string_view delim, std::string_view* out,
                        int max_out) {
  int n = 0;
  size_t start = 0;
  if (delim.size() == 1) {
    const char d = delim[0];
    const char* base = line.data();
    const size_t len = line.size();
    for (size_t i = 0; i < len; ++i) {
      if (base[i] == d) {
        if (n < max_out) out[n] = std::string_view(base + start, i - start);
        ++n;
        start = i + 1;
      }
    }
  } else {
    for (;;) {
      size_t pos = line.find(delim, start);
      if (pos == std::string_view::npos) break;
      if (n < max_out) out[n] = line.substr(start, pos - start);
      ++n;
      start = pos + delim.size();
    }
  }
  if (n < max_out) out[n] = line.substr(start);
  return n + 1;
}

enum class NumError { none, empty, invalid, negative, too_large, not_finite };

inline NumError parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return NumError::empty;
  if (s[0] == '-') return NumError::negative;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return NumError::too_large;
  if (ec != std::errc() || ptr != s.data() + s.size()) return NumError::invalid;
  if (v > UINT32_MAX) return NumError::too_large;
  out = static_cast<uint32_t>(v);
  return NumError::none;
}

inline NumError parse_i64(std::string_view s, int64_t& out) {
  if (s.empty()) return NumError::empty;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) return NumError::too_large;
  if (ec != std::errc() || ptr != s.data() + s.size()) return NumError::invalid;
  return NumError::none;
}

inline NumError parse_float(std::string_view s, float& out) {
  if (s.empty()) return NumError::empty;
  auto [ptr, ec] = fast_float::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size()) return NumError::invalid;
  if (!std::isfinite(out)) return NumError::not_finite;
  return NumError::none;
}

// SWAR digit parsing (8 ASCII bytes in a little-endian word): whether all are '0'..'9', and
// their value, in three multiply-add steps instead of eight.
inline bool eight_digits(uint64_t v) {
  return ((v & 0xF0F0F0F0F0F0F0F0ull) == 0x3030303030303030ull) &&
         (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) == 0x3030303030303030ull);
}
inline uint32_t parse_eight_digits(uint64_t v) {
  v -= 0x3030303030303030ull;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * 0x000F424000000064ull) +
       (((v >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >> 32;
  return static_cast<uint32_t>(v);
}

// How many bytes in [p, p + n) equal `byte` (16 bytes a step where SSE2 is there).
size_t count_byte(const char* p, size_t n, char byte);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s);

// Latin-1 (ISO 8859-1) bytes to UTF-8: every byte is its own code point.
std::string latin1_to_utf8(std::string_view s);

}  // namespace cofi::detail
