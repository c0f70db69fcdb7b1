// Small formatting helpers shared by the commands' reports.
#pragma once

#include <cstdint>
#include <string>

namespace cofi::cli {

// 1234567 -> "1,234,567".
std::string with_commas(uint64_t v);

}  // namespace cofi::cli
