// Each user's rated items, in compressed-row form: the training ratings a model was fitted on,
// grouped by user. Recommendations leave these items out, ranking evaluation takes its candidates
// from what is not here, and fold-in and explanations read a user's own ratings from it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cofi/data/ratings.h"

namespace cofi {

struct UserItems {
  // Row u is items[offsets[u] .. offsets[u + 1]) with ratings at the same positions, items
  // ascending. offsets has n_users + 1 entries (empty when there is no history at all).
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> items;
  std::vector<float> ratings;

  bool empty() const { return offsets.empty(); }
  size_t n_users() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  size_t size() const { return items.size(); }
  std::span<const uint32_t> items_of(uint32_t user) const {
    return {items.data() + offsets[user], static_cast<size_t>(offsets[user + 1] - offsets[user])};
  }
  std::span<const float> ratings_of(uint32_t user) const {
    return {ratings.data() + offsets[user], static_cast<size_t>(offsets[user + 1] - offsets[user])};
  }
  // Whether `user` rated `item` (binary search in the user's row).
  bool contains(uint32_t user, uint32_t item) const;
  // Ratings per item, for items 0..n_items-1.
  std::vector<uint32_t> item_counts(size_t n_items) const;

  bool operator==(const UserItems&) const = default;
};

// Groups `r` by user over n_users rows (>= r.n_users(): a model may know users without ratings).
// A (user, item) pair that occurs more than once keeps its last rating, as --duplicates keep-last
// does. O(n) with a counting sort.
UserItems group_by_user(const Ratings& r, size_t n_users);

}  // namespace cofi
