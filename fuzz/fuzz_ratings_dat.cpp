// libFuzzer target: the ml-1m / ml-10m ratings.dat layout ("::" between the four fields, no
// header): the multi-byte delimiter path of the field splitter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cofi/data/dataset.h"
#include "fuzz_ratings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The same format the data layer reads this layout with.
  static const cofi::RatingsFormat format = cofi::movielens_format(cofi::Layout::ml_10m);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (cofi::fuzz::has_table_sized_ids(bytes)) return -1;
  cofi::fuzz::run_option_sets(bytes, format);
  return 0;
}
