// The CSV side files: ml-latest/ml-20m..ml-32m movies.csv, links.csv, tags.csv, and a generic
// users.csv whose first column is the user id.
#include <algorithm>
#include <unordered_set>

#include "cofi/data/side_data.h"
#include "cofi/error.h"
#include "csv_impl.h"
#include "mapped_file_impl.h"
#include "side_data_impl.h"
#include "text_scan_impl.h"

namespace cofi {

namespace {

using detail::CsvScanner;
using detail::Place;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out;
}

// Reads the header record and checks it is exactly `expected`; names the columns for messages.
// Returns the header's line.
uint64_t read_header(CsvScanner& csv, const std::vector<std::string>& expected) {
  csv.next();  // require_content has made sure there is a record
  std::vector<std::string> found(csv.size());
  for (size_t i = 0; i < csv.size(); ++i) found[i] = csv[i];
  if (found != expected)
    throw Error(Location{csv.file(), csv.line(), {}},
                "wrong header: expected \"" + joined(expected) + "\", found " + quote_token(joined(found)));
  csv.set_field_names(expected);
  return csv.line();
}

void require_records(const CsvScanner& csv, uint64_t header_line, size_t records, const char* what) {
  if (records == 0)
    throw Error(Location{csv.file(), header_line, {}}, std::string("the file has a header but no ") + what);
}

Place place(const CsvScanner& csv) { return Place{csv.file(), csv.line(), csv.terminated()}; }

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Items read_movies_csv(const std::string& path) {
  static const std::vector<std::string> kHeader{"movieId", "title", "genres"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "a header line \"movieId,title,genres\" and movies");
  CsvScanner csv(file.bytes(), path);
  uint64_t header_line = read_header(csv, kHeader);
  detail::ItemRows rows;
  detail::GenreVocab vocab;
  while (csv.next()) {
    Place at = place(csv);
    detail::check_field_count(at, csv.size(), kHeader, ",");
    rows.id.push_back(detail::parse_id(at, kHeader[0], csv[0]));
    rows.line.push_back(at.line);
    rows.title.push_back(detail::parse_text(at, kHeader[1], csv[1], "a title"));
    rows.year.push_back(year_from_title(rows.title.back()));
    rows.genres.push_back(detail::parse_genre_list(at, kHeader[2], csv[2], vocab));
  }
  require_records(csv, header_line, rows.id.size(), "movies");
  rows.genre_names = vocab.take();
  return detail::finish_items(std::move(rows), path, kHeader[0]);
}

void read_links_csv(const std::string& path, Items& items) {
  static const std::vector<std::string> kHeader{"movieId", "imdbId", "tmdbId"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "a header line \"movieId,imdbId,tmdbId\" and links");
  CsvScanner csv(file.bytes(), path);
  uint64_t header_line = read_header(csv, kHeader);
  // Filled aside and moved in at the end, so that a bad file leaves `items` as it was.
  std::vector<std::string> imdb(items.size()), tmdb(items.size());
  std::vector<uint64_t> seen_on(items.size(), 0);
  size_t records = 0;
  while (csv.next()) {
    Place at = place(csv);
    detail::check_field_count(at, csv.size(), kHeader, ",");
    uint32_t id = detail::parse_id(at, kHeader[0], csv[0]);
    std::optional<uint32_t> row = items.ids.find(id);
    if (!row) detail::fail(at, kHeader[0], "movie " + std::to_string(id) + " is not among the movies");
    if (seen_on[*row]) detail::fail(at, kHeader[0], "duplicate id " + std::to_string(id) + ": already on line " +
                                                        std::to_string(seen_on[*row]));
    seen_on[*row] = at.line;
    if (csv[1].empty() || !all_digits(csv[1]))
      detail::fail(at, kHeader[1], "expected an IMDb number such as 0114709, found " + quote_token(csv[1]));
    if (!all_digits(csv[2]))
      detail::fail(at, kHeader[2], "expected a TMDB number such as 862 or nothing, found " + quote_token(csv[2]));
    imdb[*row] = csv[1];
    tmdb[*row] = csv[2];
    ++records;
  }
  require_records(csv, header_line, records, "links");
  items.imdb_ids = std::move(imdb);
  items.tmdb_ids = std::move(tmdb);
}

Tags read_tags_csv(const std::string& path) {
  static const std::vector<std::string> kHeader{"userId", "movieId", "tag", "timestamp"};
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "a header line \"userId,movieId,tag,timestamp\" and tags");
  CsvScanner csv(file.bytes(), path);
  uint64_t header_line = read_header(csv, kHeader);
  Tags tags;
  while (csv.next()) {
    Place at = place(csv);
    detail::check_field_count(at, csv.size(), kHeader, ",");
    tags.user.push_back(detail::parse_id(at, kHeader[0], csv[0]));
    tags.item.push_back(detail::parse_id(at, kHeader[1], csv[1]));
    tags.tag.push_back(detail::parse_text(at, kHeader[2], csv[2], "a tag"));
    tags.timestamp.push_back(detail::parse_timestamp(at, kHeader[3], csv[3]));
  }
  require_records(csv, header_line, tags.size(), "tags");
  return tags;
}

Users read_users_csv(const std::string& path) {
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "a header line such as \"userId,gender,age,occupation\" and users");
  CsvScanner csv(file.bytes(), path);
  csv.next();
  uint64_t header_line = csv.line();
  std::vector<std::string> header;
  std::unordered_set<std::string> distinct;
  for (size_t i = 0; i < csv.size(); ++i) {
    Place at = place(csv);
    std::string column = "column " + std::to_string(i + 1);
    std::string name = detail::parse_text(at, column, csv[i], "a column name in the header");
    if (!distinct.insert(name).second) detail::fail(at, column, "the column name " + quote_token(name) + " is repeated");
    header.push_back(std::move(name));
  }
  csv.set_field_names(header);
  detail::UserRows rows;
  rows.attribute_names.assign(header.begin() + 1, header.end());
  while (csv.next()) {
    Place at = place(csv);
    detail::check_field_count(at, csv.size(), header, ",");
    rows.id.push_back(detail::parse_id(at, header[0], csv[0]));
    rows.line.push_back(at.line);
    std::vector<std::string> values;
    values.reserve(header.size() - 1);
    // An empty attribute is an unknown value, not a malformed record.
    for (size_t i = 1; i < header.size(); ++i) {
      if (!detail::valid_utf8(csv[i])) detail::fail(at, header[i], "invalid UTF-8 in " + quote_token(csv[i]));
      values.push_back(csv[i]);
    }
    rows.values.push_back(std::move(values));
  }
  require_records(csv, header_line, rows.id.size(), "users");
  return detail::finish_users(std::move(rows), path, header[0]);
}

}  // namespace cofi
