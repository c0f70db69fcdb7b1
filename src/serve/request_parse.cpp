#include "cofi/serve/request_parse.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace cofi::serve {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void bad(const std::string& message) { throw HttpError(400, message); }

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        bad(std::string(what) + ": malformed percent-encoding at byte " + std::to_string(i + 1) +
            " (expected %XX with two hex digits)");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Target split_target(std::string_view target, size_t max_bytes) {
  if (target.size() > max_bytes)
    throw HttpError(414, "the request target is " + std::to_string(target.size()) + " bytes; at most " +
                             std::to_string(max_bytes) + " are accepted");
  if (target.empty() || target.front() != '/')
    bad("the request target must be an absolute path starting with '/'");
  if (size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  Target t;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  t.path = percent_decode(path, false, "path");
  if (t.path.find('\0') != std::string::npos) bad("path: a NUL byte is not allowed");
  return t;
}

QueryParams QueryParams::parse(std::string_view query) {
  QueryParams p;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    start = amp + 1;
    if (part.empty()) {
      if (amp == query.size()) break;
      continue;  // "a=1&&b=2" and a trailing '&' are harmless
    }
    size_t eq = part.find('=');
    std::string name = percent_decode(part.substr(0, eq), true, "query parameter name");
    if (name.empty()) bad("query: a parameter without a name (" + quote_token(part) + ")");
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : percent_decode(part.substr(eq + 1), true, "parameter " + name);
    for (const auto& [n, v] : p.params_)
      if (n == name) bad("parameter " + quote_token(name) + " is given more than once");
    p.params_.emplace_back(std::move(name), std::move(value));
  }
  return p;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  for (const auto& [n, v] : params_)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

void QueryParams::allow_only(std::initializer_list<std::string_view> known) const {
  for (const auto& [n, v] : params_) {
    if (std::find(known.begin(), known.end(), n) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    bad("unknown parameter " + quote_token(n) +
        (list.empty() ? " (this endpoint takes none)" : " (known: " + list + ")"));
  }
}

std::string_view QueryParams::required(std::string_view name) const {
  auto v = get(name);
  if (!v || v->empty()) bad("parameter " + std::string(name) + " is required");
  return *v;
}

size_t QueryParams::count(std::string_view name, size_t fallback, size_t lo, size_t hi) const {
  auto v = get(name);
  if (!v) return fallback;
  uint64_t x = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || ec != std::errc() || ptr != v->data() + v->size() || x < lo || x > hi)
    bad("parameter " + std::string(name) + ": expected an integer from " + std::to_string(lo) + " to " +
        std::to_string(hi) + ", found " + quote_token(*v));
  return static_cast<size_t>(x);
}

bool QueryParams::flag(std::string_view name, bool fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  bad("parameter " + std::string(name) + ": expected true or false, found " + quote_token(*v));
}

namespace {

using nlohmann::json;

const char* type_name(const json& j) { return j.type_name(); }

// A raw id from JSON: a non-negative integer or a non-empty string, as text.
std::string raw_id(const json& j, const std::string& where) {
  if (j.is_number_unsigned()) return std::to_string(j.get<uint64_t>());
  if (j.is_number_integer())
    bad(where + ": expected an item id (a non-negative integer or a string), found " + j.dump());
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty()) bad(where + ": an item id cannot be empty");
    return s;
  }
  bad(where + ": expected an item id (a non-negative integer or a string), found " +
      std::string(type_name(j)));
}

}  // namespace

FoldInRequest parse_fold_in_request(std::string_view body, const RequestLimits& limits) {
  if (body.size() > limits.max_body_bytes)
    throw HttpError(413, "the body is " + std::to_string(body.size()) + " bytes; at most " +
                             std::to_string(limits.max_body_bytes) + " are accepted");
  // Deeply nested input would recurse in the parser; a fold-in body is three levels deep, so
  // anything deeper is refused before parsing.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > 8) bad("body: JSON nested more than 8 levels deep");
    } else if (c == ']' || c == '}')
      --depth;
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded())
    bad("body: not valid JSON (expected {\"ratings\": [{\"item\": ID, \"rating\": R}, ...]})");
  if (!doc.is_object()) bad(std::string("body: expected a JSON object, found ") + type_name(doc));
  FoldInRequest r;
  bool have_ratings = false;
  for (const auto& [key, value] : doc.items()) {
    if (key == "ratings") {
      have_ratings = true;
      if (!value.is_array()) bad(std::string("ratings: expected an array, found ") + type_name(value));
      if (value.size() > limits.max_ratings)
        bad("ratings: " + std::to_string(value.size()) + " ratings; at most " +
            std::to_string(limits.max_ratings) + " are accepted");
      r.ratings.reserve(value.size());
      for (size_t k = 0; k < value.size(); ++k) {
        const json& e = value[k];
        const std::string where = "ratings[" + std::to_string(k) + "]";
        if (!e.is_object()) bad(where + ": expected {\"item\": ID, \"rating\": R}, found " + type_name(e));
        std::optional<std::string> item;
        std::optional<double> rating;
        for (const auto& [f, v] : e.items()) {
          if (f == "item") {
            item = raw_id(v, where + ".item");
          } else if (f == "rating") {
            if (!v.is_number()) bad(where + ".rating: expected a number, found " + type_name(v));
            rating = v.get<double>();
            if (!std::isfinite(*rating)) bad(where + ".rating: not a finite number");
          } else {
            bad(where + ": unknown field " + quote_token(f) + " (known: item, rating)");
          }
        }
        if (!item) bad(where + ": missing \"item\"");
        if (!rating) bad(where + ": missing \"rating\"");
        r.ratings.emplace_back(std::move(*item), static_cast<float>(*rating));
      }
    } else if (key == "n") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() < 1 || value.get<uint64_t>() > limits.max_n)
        bad("n: expected an integer from 1 to " + std::to_string(limits.max_n) + ", found " + value.dump());
      r.n = static_cast<size_t>(value.get<uint64_t>());
    } else if (key == "genre") {
      if (!value.is_string()) bad(std::string("genre: expected a string, found ") + type_name(value));
      r.genre = value.get<std::string>();
    } else if (key == "exclude_rated" || key == "item_bias") {
      if (!value.is_boolean()) bad(key + ": expected true or false, found " + type_name(value));
      (key == "exclude_rated" ? r.exclude_rated : r.item_bias) = value.get<bool>();
    } else if (key == "attributes") {
      if (!value.is_array())
        bad(std::string("attributes: expected an array of strings, found ") + type_name(value));
      if (value.size() > 100)
        bad("attributes: " + std::to_string(value.size()) + " given; at most 100 are accepted");
      for (size_t k = 0; k < value.size(); ++k) {
        if (!value[k].is_string())
          bad("attributes[" + std::to_string(k) + "]: expected a string, found " + type_name(value[k]));
        r.attributes.push_back(value[k].get<std::string>());
      }
    } else {
      bad("body: unknown field " + quote_token(key) +
          " (known: ratings, n, genre, exclude_rated, item_bias, attributes)");
    }
  }
  if (!have_ratings)
    bad("body: missing \"ratings\" (expected {\"ratings\": [{\"item\": ID, \"rating\": R}, ...]})");
  return r;
}

}  // namespace cofi::serve
