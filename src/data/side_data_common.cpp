// Shared pieces of the side-data readers, and year_from_title.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "cofi/error.h"
#include "side_data_impl.h"
#include "text_scan_impl.h"

namespace cofi {

namespace {

bool four_digits(std::string_view s) {
  return s.size() >= 4 && std::all_of(s.begin(), s.begin() + 4, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int year_from_title(const std::string& title) {
  std::string_view t = title;
  while (!t.empty() && std::strchr(" \t\r\n", t.back())) t.remove_suffix(1);
  if (t.empty() || t.back() != ')') return 0;
  size_t open = t.rfind('(');
  if (open == std::string_view::npos) return 0;
  std::string_view inner = t.substr(open + 1, t.size() - open - 2);
  if (!four_digits(inner)) return 0;
  int year = (inner[0] - '0') * 1000 + (inner[1] - '0') * 100 + (inner[2] - '0') * 10 + (inner[3] - '0');
  std::string_view rest = inner.substr(4);
  if (rest.empty()) return year;
  // Series run over years: "(1994-1998)", and ml-latest's en dash "(2006–2007)" or open "(2016–)".
  if (rest.starts_with("-")) {
    rest.remove_prefix(1);
  } else if (rest.starts_with("\xE2\x80\x93")) {
    rest.remove_prefix(3);
  } else {
    return 0;
  }
  return rest.empty() || (rest.size() == 4 && four_digits(rest)) ? year : 0;
}

}  // namespace cofi

namespace cofi::detail {

void fail(const Place& at, std::string_view field, std::string message) {
  if (!at.terminated) message += " (the last line has no line end: the file may be truncated)";
  throw Error(Location{at.file, at.line, std::string(field)}, message);
}

void check_field_count(const Place& at, size_t found, const std::vector<std::string>& names,
                       std::string_view delimiter) {
  if (found == names.size()) return;
  fail(at, found < names.size() ? std::string_view(names[found]) : std::string_view(),
       "expected " + std::to_string(names.size()) + " fields separated by " + quote_token(delimiter) +
           ", found " + std::to_string(found));
}

uint32_t parse_id(const Place& at, std::string_view field, std::string_view token) {
  uint32_t id = 0;
  switch (parse_u32(token, id)) {
    case NumError::none: return id;
    case NumError::empty: fail(at, field, "missing value: expected an integer id");
    case NumError::negative: fail(at, field, "expected a non-negative integer id, found " + quote_token(token));
    case NumError::too_large:
      fail(at, field, "does not fit in 32 bits (ids must be at most 4294967295), found " + quote_token(token));
    default: fail(at, field, "expected an integer id, found " + quote_token(token));
  }
}

int64_t parse_timestamp(const Place& at, std::string_view field, std::string_view token) {
  int64_t t = 0;
  switch (parse_i64(token, t)) {
    case NumError::none: return t;
    case NumError::empty: fail(at, field, "missing value: expected a timestamp");
    case NumError::too_large: fail(at, field, "the timestamp does not fit in 64 bits: " + quote_token(token));
    default: fail(at, field, "expected an integer timestamp, found " + quote_token(token));
  }
}

std::string parse_text(const Place& at, std::string_view field, std::string_view token, const char* what) {
  if (token.empty()) fail(at, field, std::string("missing value: expected ") + what);
  if (!valid_utf8(token)) fail(at, field, "invalid UTF-8 in " + quote_token(token));
  return std::string(token);
}

std::string legacy_text(std::string_view token) {
  return valid_utf8(token) ? std::string(token) : latin1_to_utf8(token);
}

std::string parse_legacy_text(const Place& at, std::string_view field, std::string_view token, const char* what) {
  if (token.empty()) fail(at, field, std::string("missing value: expected ") + what);
  return legacy_text(token);
}

void require_content(std::string_view bytes, const std::string& file, const std::string& expected) {
  size_t start = starts_with_bom(bytes) ? 3 : 0;
  if (bytes.find_first_not_of(" \t\r\n", start) == std::string_view::npos)
    throw Error(Location{file, 0, {}}, "the file is empty: expected " + expected);
}

LineCursor::LineCursor(std::string_view bytes) : bytes_(bytes) {
  if (starts_with_bom(bytes_)) pos_ = 3;
}

bool LineCursor::next() {
  while (pos_ < bytes_.size()) {
    size_t nl = bytes_.find('\n', pos_);
    terminated_ = nl != std::string_view::npos;
    size_t end = terminated_ ? nl : bytes_.size();
    line_ = bytes_.substr(pos_, end - pos_);
    strip_cr(line_);
    pos_ = end + 1;
    ++number_;
    if (!line_.empty()) return true;
  }
  return false;
}

uint16_t GenreVocab::intern(const Place& at, std::string_view field, std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return it->second;
  if (names_.size() >= UINT16_MAX) fail(at, field, "more than 65535 distinct genres");
  auto k = static_cast<uint16_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(names_.back(), k);
  return k;
}

std::vector<uint16_t> parse_genre_list(const Place& at, std::string_view field, std::string_view token,
                                       GenreVocab& vocab) {
  if (token.empty()) fail(at, field, "missing value: expected genres such as \"Comedy|Drama\" or \"(no genres listed)\"");
  std::vector<uint16_t> out;
  if (token == "(no genres listed)") return out;
  if (!valid_utf8(token)) fail(at, field, "invalid UTF-8 in " + quote_token(token));
  size_t start = 0;
  for (;;) {
    size_t bar = token.find('|', start);
    std::string_view name = token.substr(start, bar == std::string_view::npos ? token.npos : bar - start);
    if (name.empty()) fail(at, field, "an empty genre name in " + quote_token(token));
    uint16_t g = vocab.intern(at, field, name);
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

std::vector<size_t> order_by_id(const std::vector<uint32_t>& ids, const std::vector<uint64_t>& lines,
                                const std::string& file, const std::string& id_field) {
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable, so that among equal ids the earlier line comes first and is named first.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (ids[order[k]] != ids[order[k - 1]]) continue;
    throw Error(Location{file, lines[order[k]], id_field},
                "duplicate id " + std::to_string(ids[order[k]]) + ": already on line " +
                    std::to_string(lines[order[k - 1]]));
  }
  return order;
}

namespace {

template <class T>
std::vector<T> permuted(std::vector<T>& v, const std::vector<size_t>& order) {
  std::vector<T> out;
  out.reserve(v.size());
  for (size_t i : order) out.push_back(std::move(v[i]));
  return out;
}

}  // namespace

Items finish_items(ItemRows rows, const std::string& file, const std::string& id_field) {
  std::vector<size_t> order = order_by_id(rows.id, rows.line, file, id_field);
  Items items;
  items.ids = IdMap::from_sorted_ints(permuted(rows.id, order));
  items.titles = permuted(rows.title, order);
  items.years = permuted(rows.year, order);
  items.genres = permuted(rows.genres, order);
  items.genre_names = std::move(rows.genre_names);
  return items;
}

Users finish_users(UserRows rows, const std::string& file, const std::string& id_field) {
  std::vector<size_t> order = order_by_id(rows.id, rows.line, file, id_field);
  Users users;
  users.ids = IdMap::from_sorted_ints(permuted(rows.id, order));
  users.values = permuted(rows.values, order);
  users.attribute_names = std::move(rows.attribute_names);
  return users;
}

}  // namespace cofi::detail
