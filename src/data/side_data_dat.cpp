// ml-1m and ml-10m side files: movies.dat, users.dat, tags.dat ("::"-separated, no header).
// ml-1m is Latin-1 and ml-10m UTF-8; legacy_text reads both.
#include <array>

#include "cofi/data/side_data.h"
#include "cofi/error.h"
#include "mapped_file_impl.h"
#include "side_data_impl.h"
#include "text_scan_impl.h"

namespace cofi {

namespace {

using detail::Place;

constexpr std::string_view kSep = "::";

// Splits a line whose free-text field sits before the last `trailing` fields: the format has no
// quoting, so a "::" inside that text is kept as part of it. `out` gets leading + 1 + trailing
// fields; returns the number of fields found (leading + 1 + trailing when it fits).
size_t split_around_text(std::string_view line, size_t leading, size_t trailing, std::string_view* out) {
  size_t found = static_cast<size_t>(detail::split_fields(line, kSep, nullptr, 0));
  if (found < leading + 1 + trailing) return found;
  size_t begin = 0;
  for (size_t i = 0; i < leading; ++i) {
    size_t sep = line.find(kSep, begin);
    out[i] = line.substr(begin, sep - begin);
    begin = sep + kSep.size();
  }
  size_t end = line.size();
  for (size_t i = 0; i < trailing; ++i) {
    size_t sep = line.rfind(kSep, end - 1);
    out[leading + trailing - i] = line.substr(sep + kSep.size(), end - sep - kSep.size());
    end = sep;
  }
  out[leading] = line.substr(begin, end - begin);
  return leading + 1 + trailing;
}

const std::array<const char*, 21> kOccupations{
    "other or not specified", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed",
    "technician/engineer", "tradesman/craftsman", "unemployed", "writer"};

}  // namespace

Items read_movies_dat(const std::string& path) {
  static const std::vector<std::string> kFields{"MovieID", "Title", "Genres"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "lines \"MovieID::Title::Genres\" (ml-1m, ml-10m movies.dat)");
  detail::LineCursor lines(file.bytes());
  detail::ItemRows rows;
  detail::GenreVocab vocab;
  std::string_view f[3];
  while (lines.next()) {
    Place at{path, lines.number(), lines.terminated()};
    detail::check_field_count(at, split_around_text(lines.line(), 1, 1, f), kFields, kSep);
    rows.id.push_back(detail::parse_id(at, kFields[0], f[0]));
    rows.line.push_back(at.line);
    rows.title.push_back(detail::parse_legacy_text(at, kFields[1], f[1], "a title"));
    rows.year.push_back(year_from_title(rows.title.back()));
    rows.genres.push_back(detail::parse_genre_list(at, kFields[2], detail::legacy_text(f[2]), vocab));
  }
  rows.genre_names = vocab.take();
  return detail::finish_items(std::move(rows), path, kFields[0]);
}

Users read_users_dat(const std::string& path) {
  static const std::vector<std::string> kFields{"UserID", "Gender", "Age", "Occupation", "Zip-code"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "lines \"UserID::Gender::Age::Occupation::Zip-code\" (ml-1m users.dat)");
  detail::LineCursor lines(file.bytes());
  detail::UserRows rows;
  rows.attribute_names = {"gender", "age", "occupation", "zip"};
  std::string_view f[5];
  while (lines.next()) {
    Place at{path, lines.number(), lines.terminated()};
    detail::check_field_count(at, static_cast<size_t>(detail::split_fields(lines.line(), kSep, f, 5)), kFields, kSep);
    rows.id.push_back(detail::parse_id(at, kFields[0], f[0]));
    rows.line.push_back(at.line);
    uint32_t age = 0, occupation = 0;
    if (detail::parse_u32(f[2], age) != detail::NumError::none)
      detail::fail(at, kFields[2], "expected an age code such as 25, found " + quote_token(f[2]));
    if (detail::parse_u32(f[3], occupation) != detail::NumError::none || occupation >= kOccupations.size())
      detail::fail(at, kFields[3], "expected an occupation code 0 to 20, found " + quote_token(f[3]));
    rows.values.push_back({detail::parse_legacy_text(at, kFields[1], f[1], "a gender"), std::string(f[2]),
                           kOccupations[occupation], detail::parse_legacy_text(at, kFields[4], f[4], "a zip code")});
  }
  return detail::finish_users(std::move(rows), path, kFields[0]);
}

Tags read_tags_dat(const std::string& path) {
  static const std::vector<std::string> kFields{"UserID", "MovieID", "Tag", "Timestamp"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "lines \"UserID::MovieID::Tag::Timestamp\" (ml-10m tags.dat)");
  detail::LineCursor lines(file.bytes());
  Tags tags;
  std::string_view f[4];
  while (lines.next()) {
    Place at{path, lines.number(), lines.terminated()};
    detail::check_field_count(at, split_around_text(lines.line(), 2, 1, f), kFields, kSep);
    tags.user.push_back(detail::parse_id(at, kFields[0], f[0]));
    tags.item.push_back(detail::parse_id(at, kFields[1], f[1]));
    tags.tag.push_back(detail::parse_legacy_text(at, kFields[2], f[2], "a tag"));
    tags.timestamp.push_back(detail::parse_timestamp(at, kFields[3], f[3]));
  }
  return tags;
}

}  // namespace cofi
