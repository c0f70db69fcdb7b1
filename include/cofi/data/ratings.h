// Ratings: the explicit-feedback triples (user, item, rating[, timestamp]) with users and items
// mapped to dense indices. Column layout (structure of arrays): n ratings take
// 4 + 4 + 4 bytes, plus 8 when timestamps are present.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cofi/data/column.h"
#include "cofi/data/id_map.h"

namespace cofi {

struct Ratings {
  Column<uint32_t> user;       // dense user index, size n
  Column<uint32_t> item;       // dense item index, size n
  Column<float> rating;        // size n
  Column<int64_t> timestamp;   // seconds since the epoch, size n; empty when the source has none
  IdMap users;                 // dense user index <-> raw user id
  IdMap items;                 // dense item index <-> raw item id

  size_t size() const { return rating.size(); }
  bool has_timestamps() const { return !timestamp.empty(); }
  size_t n_users() const { return users.size(); }
  size_t n_items() const { return items.size(); }
};

// Two rating sets re-indexed into one id space: the union of their users and of their items (as
// fastai builds its categories from the whole table), so that a model trained on the first scores
// the second. Integer ids stay integers; if either side has string ids, both become strings.
std::pair<Ratings, Ratings> with_shared_ids(const Ratings& a, const Ratings& b);

// The union of two id maps (sorted, unique). Integer ids stay integers when both maps hold them;
// otherwise every id becomes a string.
IdMap union_ids(const IdMap& a, const IdMap& b);

// `from` re-indexed into existing id maps (a saved model's), for example to train a model some
// more. Throws cofi::Error counting the users and items that the maps lack, with the first of each.
Ratings reindex_into(const Ratings& from, const IdMap& users, const IdMap& items);

// A subset of `from` (records at `rows`, in that order) sharing its id maps.
Ratings select_rows(const Ratings& from, const std::vector<uint32_t>& rows);

}  // namespace cofi
