#include "cofi/recommend/rank.h"

#include <algorithm>
#include <memory>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "cofi/recommend/top_k.h"

namespace cofi {

std::vector<std::vector<std::pair<float, uint32_t>>> rank_top_k(const RankRequest& req) {
  COFI_ASSERT(req.score && req.block > 0 && req.tile > 0);
  COFI_ASSERT(!req.allowed || req.allowed->empty() || req.allowed->size() == req.items);
  std::vector<std::vector<std::pair<float, uint32_t>>> out(req.queries);
  const size_t blocks = (req.queries + req.block - 1) / req.block;
  const uint8_t* allowed = req.allowed && !req.allowed->empty() ? req.allowed->data() : nullptr;
  parallel_for(blocks, req.threads, [&](size_t b) {
    const size_t first = b * req.block;
    const size_t count = std::min(req.block, req.queries - first);
    const uint32_t tile = std::min<uint32_t>(req.tile, std::max<uint32_t>(req.items, 1));
    std::unique_ptr<float[]> scores(new float[count * tile]);
    std::vector<TopK> best;
    best.reserve(count);
    std::vector<std::span<const uint32_t>> excluded(count);
    std::vector<size_t> cursor(count, 0);  // position in excluded[q], advanced tile by tile
    for (size_t q = 0; q < count; ++q) {
      best.emplace_back(req.k);
      if (req.excluded) excluded[q] = req.excluded(first + q);
    }
    for (uint32_t begin = 0; begin < req.items; begin += tile) {
      const uint32_t end = std::min(req.items, begin + tile);
      const size_t width = end - begin;
      req.score(first, count, begin, end, scores.get());
      for (size_t q = 0; q < count; ++q) {
        const float* row = scores.get() + q * width;
        TopK& sel = best[q];
        const auto& ex = excluded[q];
        size_t& c = cursor[q];
        // Exclusions are ascending: walk them alongside the items instead of searching.
        uint32_t next_ex = c < ex.size() ? ex[c] : UINT32_MAX;
        for (uint32_t i = begin; i < end; ++i) {
          if (i == next_ex) {
            while (c < ex.size() && ex[c] <= i) ++c;  // and any repeats of it
            next_ex = c < ex.size() ? ex[c] : UINT32_MAX;
            continue;
          }
          if (allowed && !allowed[i]) continue;
          if (sel.might_enter(row[i - begin])) sel.push(row[i - begin], i);
        }
        while (c < ex.size() && ex[c] < end) ++c;  // repeats or out-of-order entries end here
      }
    }
    for (size_t q = 0; q < count; ++q) out[first + q] = best[q].take_scored();
  });
  return out;
}

}  // namespace cofi
