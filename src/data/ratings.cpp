#include "cofi/data/ratings.h"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "cofi/error.h"

namespace cofi {

Ratings select_rows(const Ratings& from, const std::vector<uint32_t>& rows) {
  std::vector<uint32_t> user(rows.size()), item(rows.size());
  std::vector<float> rating(rows.size());
  std::vector<int64_t> timestamp(from.has_timestamps() ? rows.size() : 0);
  for (size_t k = 0; k < rows.size(); ++k) {
    uint32_t r = rows[k];
    COFI_ASSERT(r < from.size());
    user[k] = from.user[r];
    item[k] = from.item[r];
    rating[k] = from.rating[r];
    if (!timestamp.empty()) timestamp[k] = from.timestamp[r];
  }
  Ratings out;
  out.user = Column<uint32_t>(std::move(user));
  out.item = Column<uint32_t>(std::move(item));
  out.rating = Column<float>(std::move(rating));
  if (from.has_timestamps()) out.timestamp = Column<int64_t>(std::move(timestamp));
  out.users = from.users;
  out.items = from.items;
  return out;
}

IdMap union_ids(const IdMap& a, const IdMap& b) {
  if (a.kind() == IdMap::Kind::integer && b.kind() == IdMap::Kind::integer) {
    std::vector<uint32_t> ids;
    ids.reserve(a.size() + b.size());
    std::set_union(a.ints().begin(), a.ints().end(), b.ints().begin(), b.ints().end(), std::back_inserter(ids));
    return IdMap::from_sorted_ints(std::move(ids));
  }
  std::vector<std::string> ids;
  for (const IdMap* m : {&a, &b})
    for (uint32_t i = 0; i < m->size(); ++i) ids.push_back(m->raw(i));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return IdMap::from_sorted_strings(std::move(ids));
}

namespace {

// `from` with its dense indices rewritten into `users` and `items` (which contain its ids).
Ratings reindexed(const Ratings& from, const IdMap& users, const IdMap& items) {
  std::vector<uint32_t> user_to(from.n_users()), item_to(from.n_items());
  for (uint32_t u = 0; u < user_to.size(); ++u) user_to[u] = *users.find(std::string_view(from.users.raw(u)));
  for (uint32_t i = 0; i < item_to.size(); ++i) item_to[i] = *items.find(std::string_view(from.items.raw(i)));
  std::vector<uint32_t> user(from.size()), item(from.size());
  for (size_t k = 0; k < from.size(); ++k) {
    user[k] = user_to[from.user[k]];
    item[k] = item_to[from.item[k]];
  }
  Ratings out;
  out.user = Column<uint32_t>(std::move(user));
  out.item = Column<uint32_t>(std::move(item));
  out.rating = from.rating;
  out.timestamp = from.timestamp;
  out.users = users;
  out.items = items;
  return out;
}

}  // namespace

Ratings reindex_into(const Ratings& from, const IdMap& users, const IdMap& items) {
  for (const auto& [from_map, to_map, what] :
       {std::tuple{&from.users, &users, "users"}, std::tuple{&from.items, &items, "items"}}) {
    size_t missing = 0;
    std::string first;
    for (uint32_t k = 0; k < from_map->size(); ++k)
      if (!to_map->find(std::string_view(from_map->raw(k)))) {
        if (missing++ == 0) first = from_map->raw(k);
      }
    if (missing)
      throw Error(std::to_string(missing) + " " + what + " of the data are not in the model (the first: " + first +
                  "); the model only knows the ids it was built with");
  }
  return reindexed(from, users, items);
}

std::pair<Ratings, Ratings> with_shared_ids(const Ratings& a, const Ratings& b) {
  IdMap users = union_ids(a.users, b.users), items = union_ids(a.items, b.items);
  return {reindexed(a, users, items), reindexed(b, users, items)};
}

}  // namespace cofi
