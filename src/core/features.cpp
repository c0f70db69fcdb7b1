#include "cofi/features.h"

#include <cmath>
#include <unordered_set>

#include "cofi/error.h"

namespace cofi {

int64_t Features::find(const std::string& name) const {
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k] == name) return static_cast<int64_t>(k);
  return -1;
}

Features empty_features(std::vector<std::string> names, size_t rows) {
  Features f;
  f.names = std::move(names);
  f.offsets.assign(rows + 1, 0);
  return f;
}

void check_features(const Features& f, size_t rows, const std::string& what) {
  if (f.rows() != rows && !(rows == 0 && f.offsets.empty()))
    throw Error(what + ": features for " + std::to_string(f.rows()) + " rows, expected " +
                std::to_string(rows));
  std::unordered_set<std::string> seen;
  for (const auto& name : f.names)
    if (!seen.insert(name).second)
      throw Error(what + ": the feature " + quote_token(name) + " is named twice");
  if (f.offsets.empty()) {
    if (!f.index.empty() || !f.weight.empty()) throw Error(what + ": feature entries without rows");
    return;
  }
  if (f.index.size() != f.weight.size())
    throw Error(what + ": " + std::to_string(f.index.size()) + " feature indices but " +
                std::to_string(f.weight.size()) + " weights");
  if (f.offsets.front() != 0 || f.offsets.back() != f.index.size())
    throw Error(what + ": the row offsets do not span the feature entries");
  // Every offset first: a row is read through its offsets only once they are known to lie in
  // [0, entries] (an offset beyond the entries followed by smaller ones would read past them).
  for (size_t r = 0; r < f.rows(); ++r)
    if (f.offsets[r] > f.offsets[r + 1])
      throw Error(what + ": row offsets are not ascending at row " + std::to_string(r));
  for (size_t r = 0; r < f.rows(); ++r) {
    for (uint64_t e = f.offsets[r]; e < f.offsets[r + 1]; ++e) {
      if (f.index[e] >= f.names.size())
        throw Error(what + ": row " + std::to_string(r) + " has feature " + std::to_string(f.index[e]) +
                    ", beyond the " + std::to_string(f.names.size()) + " names");
      if (e > f.offsets[r] && f.index[e] <= f.index[e - 1])
        throw Error(what + ": the features of row " + std::to_string(r) + " are not ascending and unique");
      if (!(std::isfinite(f.weight[e]) && f.weight[e] > 0))
        throw Error(what + ": row " + std::to_string(r) + " has feature weight " + show_number(f.weight[e]) +
                    " (weights must be finite and > 0)");
    }
  }
}

}  // namespace cofi
