#include "text_format.h"

namespace cofi::cli {

std::string with_commas(uint64_t v) {
  // Built forwards rather than with insert(), which GCC 12 flags with a false -Wrestrict.
  const std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace cofi::cli
