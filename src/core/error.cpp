#include "cofi/error.h"

#include <cstdio>
#include <cstdlib>

namespace cofi {

std::string Error::format(const Location& where, const std::string& message) {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) out += ":" + std::to_string(where.line);
    out += ": ";
  } else if (where.line > 0) {
    out += "line " + std::to_string(where.line) + ": ";
  }
  if (!where.field.empty()) out += "field '" + where.field + "': ";
  out += message;
  return out;
}

std::string quote_token(std::string_view token) {
  constexpr size_t kMax = 40;
  std::string out = "\"";
  size_t n = token.size() < kMax ? token.size() : kMax;
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(token[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += '"';
  if (token.size() > kMax) out += "...";
  return out;
}

std::string show_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

void assert_failed(const char* expr, const char* file, int line, const char* func) {
  std::fprintf(stderr, "cofi: internal error: assertion '%s' failed in %s at %s:%d\n", expr, func,
               file, line);
  std::abort();
}

}  // namespace cofi
