#include "csv_impl.h"

#include <algorithm>

#include "cofi/error.h"
#include "text_scan_impl.h"

namespace cofi::detail {

CsvScanner::CsvScanner(std::string_view bytes, std::string file) : bytes_(bytes), file_(std::move(file)) {
  if (starts_with_bom(bytes_)) pos_ = 3;
}

std::string CsvScanner::field_name(size_t column) const {
  if (column < names_.size() && !names_[column].empty()) return names_[column];
  return "column " + std::to_string(column + 1);
}

void CsvScanner::fail(const std::string& message) const {
  throw Error(Location{file_, line_, field_name(count_)}, message);
}

void CsvScanner::read_quoted(std::string& out) {
  const uint64_t opened_on = next_line_;
  ++pos_;  // the opening quote
  for (;;) {
    size_t q = bytes_.find('"', pos_);
    if (q == std::string_view::npos)
      fail("unterminated quote: the field opened with '\"' on line " + std::to_string(opened_on) +
           " has no closing quote before the end of the file");
    std::string_view part = bytes_.substr(pos_, q - pos_);
    next_line_ += static_cast<uint64_t>(std::count(part.begin(), part.end(), '\n'));
    out.append(part);
    pos_ = q + 1;
    if (pos_ < bytes_.size() && bytes_[pos_] == '"') {
      out += '"';
      ++pos_;
      continue;
    }
    break;
  }
  // After the closing quote only a delimiter or a line end may follow.
  std::string_view rest = bytes_.substr(pos_);
  if (rest.empty() || rest[0] == ',' || rest[0] == '\n' || rest.starts_with("\r\n") || rest == "\r") return;
  size_t end = rest.find_first_of(",\n");
  std::string message = "expected ',' or a line end after the closing quote";
  if (next_line_ != opened_on)
    message += " on line " + std::to_string(next_line_) + " (the quote opened on line " +
               std::to_string(opened_on) + ": is one left unclosed?)";
  fail(message + ", found " + quote_token(rest.substr(0, end)));
}

void CsvScanner::read_plain(std::string& out) {
  size_t end = bytes_.find_first_of(",\n", pos_);
  if (end == std::string_view::npos) end = bytes_.size();
  std::string_view field = bytes_.substr(pos_, end - pos_);
  if (end == bytes_.size() || bytes_[end] == '\n') strip_cr(field);
  if (field.find('"') != std::string_view::npos)
    fail("a quote inside an unquoted field " + quote_token(field) +
         ": expected the whole field in quotes, with inner quotes doubled");
  out.assign(field);
  pos_ += field.size();
}

bool CsvScanner::next() {
  // Blank lines (LF or CRLF) between records carry nothing.
  for (;;) {
    if (pos_ >= bytes_.size()) return false;
    if (bytes_[pos_] == '\n') {
      ++pos_;
      ++next_line_;
    } else if (bytes_.substr(pos_) == "\r" || bytes_.substr(pos_, 2) == "\r\n") {
      pos_ += bytes_.substr(pos_) == "\r" ? 1 : 2;
      ++next_line_;
    } else {
      break;
    }
  }
  line_ = next_line_;
  count_ = 0;
  for (;;) {
    if (fields_.size() <= count_) fields_.emplace_back();
    std::string& out = fields_[count_];
    out.clear();
    if (bytes_[pos_] == '"') {
      read_quoted(out);
    } else {
      read_plain(out);
    }
    ++count_;
    // pos_ is at a delimiter, a (CR)LF, or the end.
    if (pos_ < bytes_.size() && bytes_[pos_] == '\r') ++pos_;
    if (pos_ >= bytes_.size()) {
      terminated_ = false;
      return true;
    }
    if (bytes_[pos_] == '\n') {
      ++pos_;
      ++next_line_;
      terminated_ = true;
      return true;
    }
    ++pos_;  // ','
    if (pos_ >= bytes_.size()) {
      // A trailing ',' at the very end: one more, empty, field.
      if (fields_.size() <= count_) fields_.emplace_back();
      fields_[count_++].clear();
      terminated_ = false;
      return true;
    }
  }
}

}  // namespace cofi::detail
