// The ratings reader: one strict, parallel parser for every delimited layout of
// (user, item, rating[, timestamp]) records: MovieLens ratings.csv, ml-100k u.data and its
// u1..u5/ua/ub splits, ml-1m/ml-10m ratings.dat ("::"), and generic delimited files.
//
// Strict means: every field is consumed whole; a malformed record is an error naming the file,
// the line and the field, never a silently dropped line. With `skip_bad` the reader keeps going
// and reports how many records it skipped and where the first ones were.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cofi/data/ratings.h"

namespace cofi {

enum class DuplicatePolicy : uint8_t {
  error,      // a repeated (user, item) pair is an error giving the count and the first position
  keep_last,  // the last rating (and timestamp) in file order wins
  mean,       // ratings are averaged; the latest timestamp is kept
};
const char* to_string(DuplicatePolicy p);
DuplicatePolicy parse_duplicate_policy(const std::string& text);  // throws cofi::Error

enum class IdKind : uint8_t { automatic, integer, string };

// How a file lays out its records.
struct RatingsFormat {
  std::string name = "delimited";   // for messages: "ml-latest ratings.csv", "ml-100k u.data", ...
  std::string delimiter = ",";      // one or more bytes; "\t" for ml-100k, "::" for ml-1m/ml-10m
  bool header = false;              // the first line names the columns
  std::vector<std::string> expected_header;  // when non-empty, the header must be exactly this
  // 0-based column of each field; timestamp < 0 when the file has none.
  int user_column = 0, item_column = 1, rating_column = 2, timestamp_column = 3;
  // Records must have exactly this many fields; 0: at least enough for the columns used.
  int fields = 0;
  // Field names for messages, indexed by column; defaults to the header, else "user", ...
  std::vector<std::string> field_names;
  IdKind ids = IdKind::integer;
  float rating_min = -std::numeric_limits<float>::infinity();
  float rating_max = std::numeric_limits<float>::infinity();
  // Ratings must be whole multiples of this (1: whole stars, 0.5: half stars); 0 accepts any value.
  float rating_step = 0.0f;
};

struct ReadOptions {
  DuplicatePolicy duplicates = DuplicatePolicy::error;
  bool skip_bad = false;     // skip malformed records instead of failing on the first
  unsigned threads = 0;      // 0: all hardware threads
  bool timestamps = true;    // keep the timestamp column when the format has one
};

// What a read found, for `cofi data info` and for --skip-bad reports.
struct ReadReport {
  uint64_t lines = 0;              // lines in the file, header included
  uint64_t records = 0;            // records kept
  uint64_t skipped = 0;            // malformed records skipped (skip_bad only)
  std::vector<std::string> first_skipped;  // messages of the first few skipped records
  uint64_t duplicates = 0;         // repeated (user, item) pairs merged by the policy
  bool had_bom = false;
  bool had_crlf = false;
};

// Reads a ratings file. Throws cofi::Error on the first malformed record (unless skip_bad),
// on an empty file, a header-only file, a wrong header, and on duplicates under
// DuplicatePolicy::error.
Ratings read_ratings(const std::string& path, const RatingsFormat& format,
                     const ReadOptions& options = {}, ReadReport* report = nullptr);

// The same parser over bytes in memory (fuzzing, tests); `name` stands for the file in messages.
Ratings parse_ratings(std::string_view bytes, const std::string& name, const RatingsFormat& format,
                      const ReadOptions& options = {}, ReadReport* report = nullptr);

}  // namespace cofi
