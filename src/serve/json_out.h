// Writing JSON by appending to a string: the hot endpoints build their answers from fields
// rendered once per model (ModelState::item_fields) and a few numbers, which is several times
// faster than building a document tree. Strings always go through json_quote.
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <string>
#include <string_view>

namespace cofi::serve {

// `text` as a JSON string literal, quotes included. Invalid UTF-8 is replaced by U+FFFD, so the
// output is valid JSON whatever bytes a model file or a request carried.
std::string json_quote(std::string_view text);

// The shortest text that reads back as `x` (std::to_chars), or null when x is not finite (JSON
// has no NaN or infinity).
// (float and double: each is written with its own shortest form.)
template <std::floating_point Real>
inline void append_number(std::string& out, Real x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, end);
}
inline void append_number(std::string& out, unsigned long long x) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, end);
}

}  // namespace cofi::serve
