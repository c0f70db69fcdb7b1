// What a model knows about its items beyond their ids, aligned with the model's item rows:
// titles, release years and genres for display and filtering, and how many training ratings each
// item had (the recipe's "movies with at least N ratings"). Saved in the model file so that a
// model answers with titles on its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cofi/data/id_map.h"
#include "cofi/data/side_data.h"

namespace cofi {

struct Catalog {
  std::vector<std::string> titles;            // per item row; "" when unknown (empty: no titles at all)
  std::vector<int> years;                     // per item row; 0 unknown (empty with titles)
  std::vector<std::string> genre_names;       // the genre vocabulary
  std::vector<std::vector<uint16_t>> genres;  // per item row, indices into genre_names (empty with titles)
  std::vector<uint32_t> rating_counts;        // per item row: training ratings (empty: unknown)

  bool has_titles() const { return !titles.empty(); }
  // The title of `item`, or "item RAW" when the catalog has none for it.
  std::string title_or_id(uint32_t item, const IdMap& items) const;
  // The genres of `item` joined by '|' (MovieLens style); "" when unknown.
  std::string genre_text(uint32_t item) const;
  // The index of a genre name, compared case-insensitively; -1 when unknown.
  int find_genre(const std::string& name) const;

  bool operator==(const Catalog&) const = default;
};

// Titles, years and genres of the model's items (`model_items`, raw ids) looked up in `items` by
// raw id; items that `items` lacks get "" and no genres. Returns how many were found in *matched.
Catalog catalog_from(const IdMap& model_items, const Items& items, size_t* matched = nullptr);

}  // namespace cofi
