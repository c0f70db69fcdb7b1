// libFuzzer target: generic delimited files with string ids and with automatic ids (integers
// until the first non-integer, then a restart with string ids), skipping bad records, with and
// without a timestamp column, any number of fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_ratings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  for (auto ids : {cofi::IdKind::string, cofi::IdKind::automatic}) {
    for (int timestamp_column : {3, -1}) {
      cofi::RatingsFormat f;
      f.name = "generic delimited";
      f.ids = ids;
      f.timestamp_column = timestamp_column;
      cofi::ReadOptions o;
      o.threads = 1;
      o.skip_bad = true;
      o.duplicates = timestamp_column < 0 ? cofi::DuplicatePolicy::mean : cofi::DuplicatePolicy::keep_last;
      cofi::fuzz::parse_and_check(bytes, f, o);
    }
  }
  return 0;
}
