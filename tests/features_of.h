// Test helper: a Features table from its names and, per row, its (feature index, weight) pairs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cofi/features.h"

namespace cofi::test {

inline Features features_of(std::vector<std::string> names,
                            const std::vector<std::vector<std::pair<uint32_t, float>>>& rows) {
  Features f;
  f.names = std::move(names);
  f.offsets.push_back(0);
  for (const auto& row : rows) {
    for (const auto& [i, w] : row) {
      f.index.push_back(i);
      f.weight.push_back(w);
    }
    f.offsets.push_back(f.index.size());
  }
  return f;
}

}  // namespace cofi::test
