#include "cofi/data/catalog.h"

#include <algorithm>
#include <cctype>

namespace cofi {

namespace {

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string Catalog::title_or_id(uint32_t item, const IdMap& items) const {
  if (item < titles.size() && !titles[item].empty()) return titles[item];
  return "item " + items.raw(item);
}

std::string Catalog::genre_text(uint32_t item) const {
  std::string out;
  if (item >= genres.size()) return out;
  for (uint16_t g : genres[item]) {
    if (!out.empty()) out += '|';
    out += genre_names[g];
  }
  return out;
}

int Catalog::find_genre(const std::string& name) const {
  for (size_t g = 0; g < genre_names.size(); ++g)
    if (equal_ignoring_case(genre_names[g], name)) return static_cast<int>(g);
  return -1;
}

Catalog catalog_from(const IdMap& model_items, const Items& items, size_t* matched) {
  Catalog c;
  const size_t n = model_items.size();
  c.titles.assign(n, "");
  c.years.assign(n, 0);
  c.genres.assign(n, {});
  c.genre_names = items.genre_names;
  size_t found = 0;
  for (uint32_t row = 0; row < n; ++row) {
    // Raw ids are compared as text so that integer and string maps meet.
    std::optional<uint32_t> at = model_items.kind() == IdMap::Kind::integer
                                     ? items.ids.find(model_items.raw_int(row))
                                     : items.ids.find(model_items.raw(row));
    if (!at) continue;
    ++found;
    c.titles[row] = items.titles[*at];
    c.years[row] = items.years[*at];
    if (*at < items.genres.size()) c.genres[row] = items.genres[*at];
  }
  if (matched) *matched = found;
  return c;
}

}  // namespace cofi
