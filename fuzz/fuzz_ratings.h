// Shared by the ratings-reader fuzz targets: parse the input under several option sets, accept
// cofi::Error (malformed input is expected), and check what a successful parse promises. Any
// other exception, a sanitizer report or a broken promise ends the run as a crash.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cofi/data/ratings_reader.h"
#include "cofi/error.h"

namespace cofi::fuzz {

[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

#define COFI_FUZZ_CHECK(cond) ((cond) ? (void)0 : ::cofi::fuzz::broken(#cond))

// What read_ratings promises about a result it returns.
inline void check_result(const Ratings& r, const RatingsFormat& format, const ReadOptions& options,
                         const ReadReport& report) {
  const size_t n = r.size();
  COFI_FUZZ_CHECK(n > 0);
  COFI_FUZZ_CHECK(r.user.size() == n && r.item.size() == n);
  const bool ts = options.timestamps && format.timestamp_column >= 0;
  COFI_FUZZ_CHECK(r.timestamp.size() == (ts ? n : 0));
  COFI_FUZZ_CHECK(report.records == n);
  COFI_FUZZ_CHECK(report.lines >= n + report.skipped + report.duplicates);
  COFI_FUZZ_CHECK(options.skip_bad || report.skipped == 0);
  COFI_FUZZ_CHECK(report.first_skipped.size() <= report.skipped);
  COFI_FUZZ_CHECK(options.duplicates != DuplicatePolicy::error || report.duplicates == 0);
  COFI_FUZZ_CHECK(r.n_users() > 0 && r.n_items() > 0);
  std::vector<bool> user_seen(r.n_users()), item_seen(r.n_items());
  for (size_t i = 0; i < n; ++i) {
    COFI_FUZZ_CHECK(r.user[i] < r.n_users());
    COFI_FUZZ_CHECK(r.item[i] < r.n_items());
    user_seen[r.user[i]] = true;
    item_seen[r.item[i]] = true;
    COFI_FUZZ_CHECK(std::isfinite(r.rating[i]));
    // The mean of in-range ratings is in range too (up to rounding, which cannot leave it).
    COFI_FUZZ_CHECK(r.rating[i] >= format.rating_min && r.rating[i] <= format.rating_max);
  }
  // Every id in a map is used by some rating: the maps are built from the records kept.
  COFI_FUZZ_CHECK(std::find(user_seen.begin(), user_seen.end(), false) == user_seen.end());
  COFI_FUZZ_CHECK(std::find(item_seen.begin(), item_seen.end(), false) == item_seen.end());
  // Duplicates are either an error or merged: no (user, item) pair is left twice.
  std::vector<std::pair<uint32_t, uint32_t>> pairs(n);
  for (size_t i = 0; i < n; ++i) pairs[i] = {r.user[i], r.item[i]};
  std::sort(pairs.begin(), pairs.end());
  COFI_FUZZ_CHECK(std::adjacent_find(pairs.begin(), pairs.end()) == pairs.end());
  // Dense indices give back ids that map to them again.
  for (uint32_t u = 0; u < r.n_users(); ++u) COFI_FUZZ_CHECK(r.users.find(r.users.raw(u)) == u);
  for (uint32_t i = 0; i < r.n_items(); ++i) COFI_FUZZ_CHECK(r.items.find(r.items.raw(i)) == i);
}

// `bytes` with the first two fields of every line swapped (a leading BOM stays in front; lines
// with fewer than three fields are left alone: they are malformed either way). nullopt when the
// swap would move a BOM from inside the first line to the start of the file, where the reader
// rightly strips it: the two inputs would then differ in more than field order.
inline std::optional<std::string> swap_first_two_fields(std::string_view bytes, char delim) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  if (bytes.substr(0, 3) == kBom) {
    out.append(kBom);
    pos = 3;
  }
  const size_t start = pos;
  for (;;) {
    size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, (nl == std::string_view::npos ? bytes.size() : nl) - pos);
    size_t d1 = line.find(delim);
    size_t d2 = d1 == std::string_view::npos ? d1 : line.find(delim, d1 + 1);
    if (d2 != std::string_view::npos) {
      out.append(line.substr(d1 + 1, d2 - d1 - 1));
      out += delim;
      out.append(line.substr(0, d1));
      out.append(line.substr(d2));
    } else {
      out.append(line);
    }
    if (nl == std::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  if (start == 0 && std::string_view(out).substr(0, 3) == kBom) return std::nullopt;
  return out;
}

inline void parse_and_check(std::string_view bytes, const RatingsFormat& format, const ReadOptions& options) {
  ReadReport report;
  std::optional<Ratings> got;
  try {
    got = parse_ratings(bytes, "fuzz-input", format, options, &report);
    check_result(*got, format, options, report);
  } catch (const Error&) {
    // Malformed input: the expected outcome for most inputs.
  }
  // Differential check of the reader's fast path (integer ids, one-byte delimiter, fields in the
  // order user, item, ...): the same records with the user and item columns swapped take the
  // general path, and must give the same outcome, the same ratings and the same counts.
  if (format.delimiter.size() != 1 || format.user_column != 0 || format.item_column != 1) return;
  RatingsFormat swapped = format;
  std::swap(swapped.user_column, swapped.item_column);
  if (swapped.expected_header.size() >= 2) std::swap(swapped.expected_header[0], swapped.expected_header[1]);
  const auto other = swap_first_two_fields(bytes, format.delimiter[0]);
  if (!other) return;
  ReadReport other_report;
  std::optional<Ratings> again;
  try {
    again = parse_ratings(*other, "fuzz-input", swapped, options, &other_report);
  } catch (const Error&) {
  }
  COFI_FUZZ_CHECK(got.has_value() == again.has_value());
  if (!got) return;
  COFI_FUZZ_CHECK(got->user.to_vector() == again->user.to_vector());
  COFI_FUZZ_CHECK(got->item.to_vector() == again->item.to_vector());
  COFI_FUZZ_CHECK(got->rating.to_vector() == again->rating.to_vector());
  COFI_FUZZ_CHECK(got->timestamp.to_vector() == again->timestamp.to_vector());
  COFI_FUZZ_CHECK(got->users == again->users && got->items == again->items);
  COFI_FUZZ_CHECK(report.lines == other_report.lines && report.records == other_report.records);
  COFI_FUZZ_CHECK(report.skipped == other_report.skipped && report.duplicates == other_report.duplicates);
  COFI_FUZZ_CHECK(report.had_bom == other_report.had_bom && report.had_crlf == other_report.had_crlf);
}

// True when `bytes` hold a run of 7 or 8 digits. The reader maps integer ids through a direct
// table sized by the largest id when that is at most 2^24 (or 4 x the records), so one such id
// costs a 64 MiB table per parse: ~150 ms, 100 times the cost of a typical input under ASan,
// which would starve the fuzzer. The targets reject these inputs (return -1: not added to the
// corpus); shorter ids reach the table path and longer ones the sort path and the range checks.
inline bool has_table_sized_ids(std::string_view bytes) {
  size_t run = 0;
  for (char ch : bytes) {
    if (ch >= '0' && ch <= '9') {
      ++run;
      continue;
    }
    if (run == 7 || run == 8) return true;
    run = 0;
  }
  return run == 7 || run == 8;
}

// Strict (the default), then forgiving with each merging duplicate policy. One thread: inputs
// are far below the reader's 8 MiB chunk, so more would only add thread start-up per input.
inline void run_option_sets(std::string_view bytes, const RatingsFormat& format) {
  ReadOptions strict;
  strict.threads = 1;
  parse_and_check(bytes, format, strict);
  ReadOptions last = strict;
  last.skip_bad = true;
  last.duplicates = DuplicatePolicy::keep_last;
  parse_and_check(bytes, format, last);
  ReadOptions mean = last;
  mean.duplicates = DuplicatePolicy::mean;
  mean.timestamps = false;
  parse_and_check(bytes, format, mean);
}

}  // namespace cofi::fuzz
