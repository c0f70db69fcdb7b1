// What rating_metrics.cpp and cold_start.cpp share: raw-id mapping between two id maps, and the
// running sums behind an ErrorStats.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cofi/data/id_map.h"
#include "cofi/eval/rating_metrics.h"

namespace cofi::eval_detail {

constexpr uint32_t kUnseen = std::numeric_limits<uint32_t>::max();

// Ratings are scored in chunks of this many; each chunk's sums are kept apart and added in chunk
// order, so that the totals do not depend on the thread count.
constexpr size_t kChunk = 8192;

// Model row of each of `from`'s dense indices, kUnseen where `to` lacks the raw id.
inline std::vector<uint32_t> map_ids(const IdMap& from, const IdMap& to) {
  std::vector<uint32_t> rows(from.size(), kUnseen);
  const bool ints = from.kind() == IdMap::Kind::integer && to.kind() == IdMap::Kind::integer;
  for (uint32_t i = 0; i < from.size(); ++i) {
    auto r = ints ? to.find(from.raw_int(i)) : to.find(from.raw(i));
    if (r) rows[i] = *r;
  }
  return rows;
}

struct Sums {
  uint64_t n = 0;
  double sq = 0, abs = 0;
  void add(double err) {
    ++n;
    sq += err * err;
    abs += std::fabs(err);
  }
  void add(const Sums& o) {
    n += o.n;
    sq += o.sq;
    abs += o.abs;
  }
  ErrorStats stats() const {
    ErrorStats s;
    s.n = n;
    if (n == 0) return s;
    s.mse = sq / static_cast<double>(n);
    s.rmse = std::sqrt(s.mse);
    s.mae = abs / static_cast<double>(n);
    return s;
  }
};

}  // namespace cofi::eval_detail
