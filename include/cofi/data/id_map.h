// IdMap: raw user or item ids (integers or strings, as they appear in the source) <-> dense
// indices 0..n-1. Dense indices follow the sorted order of the raw ids (numeric order for
// integers, byte order for strings), as fastai's Categorify does, so that the same set of ids
// always gets the same indices whatever the file order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cofi {

class IdMap {
 public:
  enum class Kind : uint8_t { integer, string };

  IdMap() = default;
  // From sorted, unique raw ids. Throws cofi::Error if they are not sorted and unique.
  static IdMap from_sorted_ints(std::vector<uint32_t> sorted_ids);
  static IdMap from_sorted_strings(std::vector<std::string> sorted_ids);

  Kind kind() const { return kind_; }
  size_t size() const { return kind_ == Kind::integer ? ints_.size() : strings_.size(); }

  // Dense index of a raw id, or nullopt when the id is not in the map. O(log n).
  std::optional<uint32_t> find(uint32_t raw) const;
  std::optional<uint32_t> find(std::string_view raw) const;  // parses integers for integer maps

  // The raw id of a dense index, as text (integers printed in decimal).
  std::string raw(uint32_t dense) const;
  uint32_t raw_int(uint32_t dense) const { return ints_.at(dense); }

  const std::vector<uint32_t>& ints() const { return ints_; }
  const std::vector<std::string>& strings() const { return strings_; }

  bool operator==(const IdMap&) const = default;

 private:
  Kind kind_ = Kind::integer;
  std::vector<uint32_t> ints_;
  std::vector<std::string> strings_;
};

}  // namespace cofi
