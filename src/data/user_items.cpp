#include "cofi/data/user_items.h"

#include <algorithm>

#include "cofi/error.h"

namespace cofi {

bool UserItems::contains(uint32_t user, uint32_t item) const {
  auto row = items_of(user);
  return std::binary_search(row.begin(), row.end(), item);
}

std::vector<uint32_t> UserItems::item_counts(size_t n_items) const {
  std::vector<uint32_t> counts(n_items, 0);
  for (uint32_t i : items) {
    COFI_ASSERT(i < n_items);
    ++counts[i];
  }
  return counts;
}

UserItems group_by_user(const Ratings& r, size_t n_users) {
  COFI_ASSERT(n_users >= r.n_users());
  UserItems g;
  g.offsets.assign(n_users + 1, 0);
  for (size_t k = 0; k < r.size(); ++k) ++g.offsets[r.user[k] + 1];
  for (size_t u = 0; u < n_users; ++u) g.offsets[u + 1] += g.offsets[u];
  // Counting sort by user keeps file order within a user, so "last" below is the file's last.
  std::vector<uint64_t> next(g.offsets.begin(), g.offsets.end() - 1);
  std::vector<uint32_t> items(r.size());
  std::vector<float> ratings(r.size());
  for (size_t k = 0; k < r.size(); ++k) {
    uint64_t at = next[r.user[k]]++;
    items[at] = r.item[k];
    ratings[at] = r.rating[k];
  }
  // Sort each row by item (stable, so repeats stay in file order) and keep each item's last.
  g.items.reserve(r.size());
  g.ratings.reserve(r.size());
  std::vector<uint32_t> order;
  uint64_t write = 0;
  for (size_t u = 0; u < n_users; ++u) {
    const uint64_t begin = g.offsets[u], end = g.offsets[u + 1];
    order.resize(end - begin);
    for (uint64_t k = begin; k < end; ++k) order[k - begin] = static_cast<uint32_t>(k);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return items[a] < items[b]; });
    g.offsets[u] = write;
    for (size_t k = 0; k < order.size(); ++k) {
      if (k + 1 < order.size() && items[order[k + 1]] == items[order[k]]) continue;  // a later repeat wins
      g.items.push_back(items[order[k]]);
      g.ratings.push_back(ratings[order[k]]);
      ++write;
    }
  }
  g.offsets[n_users] = write;
  return g;
}

}  // namespace cofi
