// A strict RFC 4180 record scanner for the CSV side files (movies.csv, links.csv, tags.csv,
// users.csv): fields separated by ',', optionally enclosed in '"' with '""' standing for one quote;
// a quoted field may span lines. LF or CRLF line ends; blank lines are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cofi::detail {

class CsvScanner {
 public:
  // `bytes` must outlive the scanner; a leading UTF-8 BOM is skipped. `file` names it in messages.
  CsvScanner(std::string_view bytes, std::string file);

  // Column names for messages (from the header); unnamed columns are called "column N".
  void set_field_names(std::vector<std::string> names) { names_ = std::move(names); }

  // Reads the next record. Returns false at the end of the input. Throws cofi::Error naming the
  // line and the field on an unterminated quote, on text after a closing quote, and on a quote
  // inside an unquoted field.
  bool next();

  size_t size() const { return count_; }
  const std::string& operator[](size_t i) const { return fields_[i]; }
  uint64_t line() const { return line_; }          // the line the record starts on
  bool terminated() const { return terminated_; }  // false: it ran into the end of the file
  const std::string& file() const { return file_; }
  std::string field_name(size_t column) const;

 private:
  [[noreturn]] void fail(const std::string& message) const;
  void read_quoted(std::string& out);
  void read_plain(std::string& out);

  std::string_view bytes_;
  std::string file_;
  std::vector<std::string> names_;
  size_t pos_ = 0;
  uint64_t next_line_ = 1;
  uint64_t line_ = 0;
  bool terminated_ = false;
  std::vector<std::string> fields_;  // reused across records to keep their capacity
  size_t count_ = 0;
};

}  // namespace cofi::detail
