// ml-100k side files: u.item, u.genre, u.user, u.occupation ('|'-separated, no header, Latin-1).
#include <algorithm>
#include <array>
#include <unordered_set>

#include "cofi/data/side_data.h"
#include "cofi/error.h"
#include "mapped_file_impl.h"
#include "side_data_impl.h"
#include "text_scan_impl.h"

namespace cofi {

namespace {

using detail::Place;

// Splits on '|' into `fields`, sized to one more than expected so that extra fields are counted.
size_t split_bars(std::string_view line, std::vector<std::string_view>& fields, size_t expected) {
  fields.resize(expected + 1);
  return static_cast<size_t>(detail::split_fields(line, "|", fields.data(), static_cast<int>(fields.size())));
}

// "01-Jan-1995" (the day may have one digit: "4-Feb-1971") to its year; 0 when malformed.
int year_of_date(std::string_view date) {
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  size_t d1 = date.find('-');
  if (d1 == std::string_view::npos || d1 < 1 || d1 > 2 || !digits(date.substr(0, d1))) return 0;
  std::string_view rest = date.substr(d1 + 1);
  if (rest.size() != 8 || rest[3] != '-' || !digits(rest.substr(4))) return 0;
  if (std::find(kMonths.begin(), kMonths.end(), rest.substr(0, 3)) == kMonths.end()) return 0;
  int year = 0;
  for (char c : rest.substr(4)) year = year * 10 + (c - '0');
  return year;
}

}  // namespace

std::vector<std::string> read_ml100k_genres(const std::string& u_genre) {
  static const std::vector<std::string> kFields{"genre", "index"};
  detail::MappedFile file(u_genre);
  detail::require_content(file.bytes(), u_genre, "lines \"genre|index\" (ml-100k u.genre)");
  detail::LineCursor lines(file.bytes());
  std::vector<std::string> names;
  std::vector<std::string_view> f;
  while (lines.next()) {
    Place at{u_genre, lines.number(), lines.terminated()};
    detail::check_field_count(at, split_bars(lines.line(), f, 2), kFields, "|");
    std::string name = detail::parse_legacy_text(at, kFields[0], f[0], "a genre name");
    uint32_t index = 0;
    // The flags in u.item are positional, so the indices must count 0, 1, 2, ... in file order.
    if (detail::parse_u32(f[1], index) != detail::NumError::none || index != names.size())
      detail::fail(at, kFields[1], "expected the index " + std::to_string(names.size()) + ", found " +
                                       quote_token(f[1]));
    if (std::find(names.begin(), names.end(), name) != names.end())
      detail::fail(at, kFields[0], "the genre " + quote_token(name) + " is listed twice");
    names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> read_ml100k_occupations(const std::string& u_occupation) {
  detail::MappedFile file(u_occupation);
  detail::require_content(file.bytes(), u_occupation, "one occupation per line (ml-100k u.occupation)");
  detail::LineCursor lines(file.bytes());
  std::vector<std::string> names;
  while (lines.next()) {
    Place at{u_occupation, lines.number(), lines.terminated()};
    std::string name = detail::legacy_text(lines.line());
    if (std::find(names.begin(), names.end(), name) != names.end())
      detail::fail(at, "occupation", "the occupation " + quote_token(name) + " is listed twice");
    names.push_back(std::move(name));
  }
  return names;
}

Items read_ml100k_items(const std::string& u_item, const std::string& u_genre) {
  std::vector<std::string> genre_names = read_ml100k_genres(u_genre);
  std::vector<std::string> names{"movie id", "movie title", "release date", "video release date", "IMDb URL"};
  names.insert(names.end(), genre_names.begin(), genre_names.end());
  detail::MappedFile file(u_item);
  detail::require_content(file.bytes(), u_item, "lines \"movie id|movie title|release date|...\" (ml-100k u.item)");
  detail::LineCursor lines(file.bytes());
  detail::ItemRows rows;
  std::vector<std::string_view> f;
  while (lines.next()) {
    Place at{u_item, lines.number(), lines.terminated()};
    detail::check_field_count(at, split_bars(lines.line(), f, names.size()), names, "|");
    rows.id.push_back(detail::parse_id(at, names[0], f[0]));
    rows.line.push_back(at.line);
    rows.title.push_back(detail::parse_legacy_text(at, names[1], f[1], "a title"));
    int date_year = 0;
    if (!f[2].empty() && (date_year = year_of_date(f[2])) == 0)
      detail::fail(at, names[2], "expected a date such as 01-Jan-1995, found " + quote_token(f[2]));
    // The title's year is the film's; the date is sometimes a later re-release (item 1252,
    // "Contempt (1963)", is dated 1997), so it only fills in for titles without a year.
    int year = year_from_title(rows.title.back());
    rows.year.push_back(year ? year : date_year);
    std::vector<uint16_t> genres;
    for (size_t g = 0; g < genre_names.size(); ++g) {
      std::string_view flag = f[5 + g];
      if (flag != "0" && flag != "1")
        detail::fail(at, names[5 + g], "expected a genre flag 0 or 1, found " + quote_token(flag));
      if (flag == "1") genres.push_back(static_cast<uint16_t>(g));
    }
    rows.genres.push_back(std::move(genres));
  }
  rows.genre_names = std::move(genre_names);
  return detail::finish_items(std::move(rows), u_item, names[0]);
}

Users read_ml100k_users(const std::string& u_user, const std::string& u_occupation) {
  static const std::vector<std::string> kFields{"user id", "age", "gender", "occupation", "zip code"};
  std::unordered_set<std::string> known;
  if (!u_occupation.empty())
    for (auto& name : read_ml100k_occupations(u_occupation)) known.insert(name);
  detail::MappedFile file(u_user);
  detail::require_content(file.bytes(), u_user, "lines \"user id|age|gender|occupation|zip code\" (ml-100k u.user)");
  detail::LineCursor lines(file.bytes());
  detail::UserRows rows;
  rows.attribute_names = {"age", "gender", "occupation", "zip"};
  std::vector<std::string_view> f;
  while (lines.next()) {
    Place at{u_user, lines.number(), lines.terminated()};
    detail::check_field_count(at, split_bars(lines.line(), f, kFields.size()), kFields, "|");
    rows.id.push_back(detail::parse_id(at, kFields[0], f[0]));
    rows.line.push_back(at.line);
    uint32_t age = 0;
    if (detail::parse_u32(f[1], age) != detail::NumError::none)
      detail::fail(at, kFields[1], "expected an age in whole years, found " + quote_token(f[1]));
    std::string occupation = detail::parse_legacy_text(at, kFields[3], f[3], "an occupation");
    if (!u_occupation.empty() && !known.count(occupation))
      detail::fail(at, kFields[3], "the occupation " + quote_token(occupation) + " is not listed in " + u_occupation);
    rows.values.push_back({std::string(f[1]), detail::parse_legacy_text(at, kFields[2], f[2], "a gender"),
                           std::move(occupation), detail::parse_legacy_text(at, kFields[4], f[4], "a zip code")});
  }
  return detail::finish_users(std::move(rows), u_user, kFields[0]);
}

}  // namespace cofi
