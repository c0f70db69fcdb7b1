// Private helpers shared by the side-data readers: record places and messages, strict field
// parsing, line iteration, genre vocabularies and the final sort of rows into raw-id order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cofi/data/side_data.h"

namespace cofi::detail {

// Where a record was read, for messages.
struct Place {
  const std::string& file;
  uint64_t line;
  bool terminated;  // false: the file's last line, cut off without a line end
};

// Throws cofi::Error at `at`, noting a possible truncation when the line had no line end.
[[noreturn]] void fail(const Place& at, std::string_view field, std::string message);

// Throws unless `found` equals names.size(): "expected 3 fields separated by ',', found 2",
// naming the first missing field.
void check_field_count(const Place& at, size_t found, const std::vector<std::string>& names,
                       std::string_view delimiter);

uint32_t parse_id(const Place& at, std::string_view field, std::string_view token);
int64_t parse_timestamp(const Place& at, std::string_view field, std::string_view token);
// A non-empty UTF-8 text field; `what` says what was expected ("a title").
std::string parse_text(const Place& at, std::string_view field, std::string_view token, const char* what);
// For the older MovieLens files: text that is valid UTF-8 is kept, anything else is read as
// Latin-1, so that both the original Latin-1 releases and re-encoded copies read the same.
std::string legacy_text(std::string_view token);
// A non-empty field through legacy_text.
std::string parse_legacy_text(const Place& at, std::string_view field, std::string_view token, const char* what);

// Throws when the bytes hold nothing but whitespace (after a BOM). `expected` ends the message.
void require_content(std::string_view bytes, const std::string& file, const std::string& expected);

// Lines of a text file without quoting (ml-100k '|' and ml-1m "::" files); skips a BOM and
// blank lines, strips CR.
class LineCursor {
 public:
  explicit LineCursor(std::string_view bytes);
  bool next();
  std::string_view line() const { return line_; }
  uint64_t number() const { return number_; }
  bool terminated() const { return terminated_; }

 private:
  std::string_view bytes_, line_;
  size_t pos_ = 0;
  uint64_t number_ = 0;
  bool terminated_ = false;
};

// A genre vocabulary in order of first appearance.
class GenreVocab {
 public:
  uint16_t intern(const Place& at, std::string_view field, std::string_view name);
  std::vector<std::string> take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint16_t> index_;
};

// "A|B|C" or "(no genres listed)" into vocabulary indices; a repeated genre counts once.
std::vector<uint16_t> parse_genre_list(const Place& at, std::string_view field, std::string_view token,
                                       GenreVocab& vocab);

// Rows in file order, with the line each came from.
struct ItemRows {
  std::vector<uint32_t> id;
  std::vector<uint64_t> line;
  std::vector<std::string> title;
  std::vector<int> year;
  std::vector<std::vector<uint16_t>> genres;
  std::vector<std::string> genre_names;
};
struct UserRows {
  std::vector<uint32_t> id;
  std::vector<uint64_t> line;
  std::vector<std::vector<std::string>> values;
  std::vector<std::string> attribute_names;
};

// Sorts the rows into raw-id order; a repeated id is an error naming both lines.
Items finish_items(ItemRows rows, const std::string& file, const std::string& id_field);
Users finish_users(UserRows rows, const std::string& file, const std::string& id_field);

// The permutation that sorts `ids`; throws on a repeated id, naming both lines.
std::vector<size_t> order_by_id(const std::vector<uint32_t>& ids, const std::vector<uint64_t>& lines,
                                const std::string& file, const std::string& id_field);

}  // namespace cofi::detail
