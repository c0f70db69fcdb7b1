// Errors. Two tiers (docs/style.md): user and data errors throw cofi::Error with the place they
// were found (file, line, field); broken internal invariants stop through COFI_ASSERT, which is
// always on. The library never prints and never exits: only the CLI picks an exit code.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cofi {

// Where in an input a problem was found. Empty parts are left out of the message.
struct Location {
  std::string file;
  uint64_t line = 0;   // 1-based; 0 when not known or not meaningful
  std::string field;   // column name as in the header, or the format's name for it
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(const Location& where, const std::string& message)
      : std::runtime_error(format(where, message)), where_(where) {}

  const Location& where() const { return where_; }

  // "FILE:LINE: field 'F': MESSAGE", leaving out the parts that are not known.
  static std::string format(const Location& where, const std::string& message);

 private:
  Location where_;
};

// A token quoted for an error message: at most 40 bytes, control and non-ASCII bytes escaped,
// so that a message about a binary or malformed file stays one readable line.
std::string quote_token(std::string_view token);

// A number in a message as a person would write it ("0.2", not std::to_string's "0.200000").
std::string show_number(double x);

[[noreturn]] void assert_failed(const char* expr, const char* file, int line, const char* func);

}  // namespace cofi

#define COFI_ASSERT(cond) \
  ((cond) ? (void)0 : ::cofi::assert_failed(#cond, __FILE__, __LINE__, __func__))
