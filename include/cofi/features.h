// Weighted features of a table's rows (users or items) with their vocabulary, in compressed-row
// form: what side data says about each row ("genre=Comedy" with weight 1/3, "age=25-34" with
// weight 1). The data layer builds them from side files keyed by raw ids (data/features.h); the
// hybrid and content models keep them aligned with their user and item rows. In core because
// both layers need the type and neither may depend on the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cofi {

struct Features {
  std::vector<std::string> names;  // the vocabulary: feature index -> name, unique
  // Row r's entries are positions [offsets[r], offsets[r + 1]) of `index` and `weight`. offsets has
  // rows() + 1 entries, starting at 0; empty when there are no rows at all.
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> index;  // feature of each entry, < names.size(), ascending and unique within a row
  std::vector<float> weight;    // weight of each entry: finite and > 0

  size_t rows() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  size_t entries() const { return index.size(); }
  std::span<const uint32_t> index_of(size_t row) const {
    return {index.data() + offsets[row], static_cast<size_t>(offsets[row + 1] - offsets[row])};
  }
  std::span<const float> weight_of(size_t row) const {
    return {weight.data() + offsets[row], static_cast<size_t>(offsets[row + 1] - offsets[row])};
  }
  // The index of a feature name, or -1 when the vocabulary lacks it. O(vocabulary).
  int64_t find(const std::string& name) const;

  bool operator==(const Features&) const = default;
};

// `rows` rows without features over the vocabulary `names`.
Features empty_features(std::vector<std::string> names, size_t rows);

// Throws cofi::Error, its message starting with `what`, when `f` breaks an invariant above or
// does not have `rows` rows (rows == 0 accepts an empty offsets vector too).
void check_features(const Features& f, size_t rows, const std::string& what);

}  // namespace cofi
