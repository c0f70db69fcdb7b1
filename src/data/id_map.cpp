#include "cofi/data/id_map.h"

#include <algorithm>
#include <charconv>

#include "cofi/error.h"

namespace cofi {

IdMap IdMap::from_sorted_ints(std::vector<uint32_t> sorted_ids) {
  for (size_t i = 1; i < sorted_ids.size(); ++i)
    if (sorted_ids[i - 1] >= sorted_ids[i]) throw Error("id map: integer ids are not sorted and unique");
  IdMap m;
  m.kind_ = Kind::integer;
  m.ints_ = std::move(sorted_ids);
  return m;
}

IdMap IdMap::from_sorted_strings(std::vector<std::string> sorted_ids) {
  for (size_t i = 1; i < sorted_ids.size(); ++i)
    if (!(sorted_ids[i - 1] < sorted_ids[i])) throw Error("id map: string ids are not sorted and unique");
  IdMap m;
  m.kind_ = Kind::string;
  m.strings_ = std::move(sorted_ids);
  return m;
}

std::optional<uint32_t> IdMap::find(uint32_t raw) const {
  if (kind_ == Kind::string) return find(std::string_view(std::to_string(raw)));
  auto it = std::lower_bound(ints_.begin(), ints_.end(), raw);
  if (it == ints_.end() || *it != raw) return std::nullopt;
  return static_cast<uint32_t>(it - ints_.begin());
}

std::optional<uint32_t> IdMap::find(std::string_view raw) const {
  if (kind_ == Kind::integer) {
    uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (ec != std::errc() || ptr != raw.data() + raw.size()) return std::nullopt;
    return find(value);
  }
  auto it = std::lower_bound(strings_.begin(), strings_.end(), raw,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == strings_.end() || *it != raw) return std::nullopt;
  return static_cast<uint32_t>(it - strings_.begin());
}

std::string IdMap::raw(uint32_t dense) const {
  if (kind_ == Kind::integer) return std::to_string(ints_.at(dense));
  return strings_.at(dense);
}

}  // namespace cofi
