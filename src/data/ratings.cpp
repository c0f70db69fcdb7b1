#include "cofi/data/ratings.h"

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

}  // namespace cofi
