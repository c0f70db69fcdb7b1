// libFuzzer target: the ml-100k u.data layout (user, item, rating, timestamp separated by tabs,
// no header).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_ratings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cofi::RatingsFormat format = [] {
    cofi::RatingsFormat f;
    f.name = "ml-100k u.data";
    f.delimiter = "\t";
    f.fields = 4;
    f.rating_min = 1.0f;
    f.rating_max = 5.0f;
    return f;
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  cofi::fuzz::run_option_sets(bytes, format);
  return 0;
}
