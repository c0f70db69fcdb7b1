// libFuzzer target: the ml-latest ratings.csv layout (header "userId,movieId,rating,timestamp",
// four comma-separated fields, ratings 0.5 to 5).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_ratings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cofi::RatingsFormat format = [] {
    cofi::RatingsFormat f;
    f.name = "ml-latest ratings.csv";
    f.delimiter = ",";
    f.header = true;
    f.expected_header = {"userId", "movieId", "rating", "timestamp"};
    f.fields = 4;
    f.rating_min = 0.5f;
    f.rating_max = 5.0f;
    return f;
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  cofi::fuzz::run_option_sets(bytes, format);
  return 0;
}
