#include <charconv>
#include <cmath>

#include "cli.h"
#include "cofi/error.h"

namespace cofi::cli {

bool Args::has(const std::string& name) const {
  auto it = values.find(name);
  if (it != values.end()) return !it->second.empty();
  auto f = flags.find(name);
  return f != flags.end() && f->second;
}

bool Args::flag(const std::string& name) const {
  auto f = flags.find(name);
  return f != flags.end() && f->second;
}

std::string Args::str(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::string() : it->second;
}

double Args::number(const std::string& name) const {
  std::string s = str(name);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
    throw Error("option --" + name + ": expected a number, found " + quote_token(s));
  return v;
}

int64_t Args::integer(const std::string& name) const {
  std::string s = str(name);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size())
    throw Error("option --" + name + ": expected an integer, found " + quote_token(s));
  return v;
}

uint64_t Args::count(const std::string& name) const {
  int64_t v = integer(name);
  if (v < 0) throw Error("option --" + name + ": expected a non-negative integer, found " + str(name));
  return static_cast<uint64_t>(v);
}

}  // namespace cofi::cli
