// libFuzzer target: the ml-latest ratings.csv layout (header "userId,movieId,rating,timestamp",
// four comma-separated fields, ratings 0.5 to 5).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cofi/data/dataset.h"
#include "fuzz_ratings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The same format the data layer reads this layout with.
  static const cofi::RatingsFormat format = cofi::movielens_format(cofi::Layout::ml_latest);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  cofi::fuzz::run_option_sets(bytes, format);
  return 0;
}
