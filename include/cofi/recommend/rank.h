// The engine under every ranked list: for each of many queries (users), the k best items by a
// score computed block by block (a block of queries times a tile of items, so that a model scores
// with one matrix product per block and the scores stay in cache), skipping excluded items, with
// a bounded top-k per query (top_k.h). Never a per-pair loop, never a dense query x item matrix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace cofi {

struct RankRequest {
  size_t queries = 0;  // how many ranked lists
  uint32_t items = 0;  // candidates are item rows 0..items-1
  size_t k = 10;       // length of each list (shorter when fewer items are eligible)
  // Scores of queries [first, first + count) for items [begin, end) into out, row-major
  // count x (end - begin); higher ranks first. Called from several threads at once.
  std::function<void(size_t first, size_t count, uint32_t begin, uint32_t end, float* out)> score;
  // Items query q must not get, ascending (may be empty, or the function unset).
  std::function<std::span<const uint32_t>(size_t q)> excluded;
  // Per item row, 0 when no query may get it (a genre filter, an exclusion list); empty: all may.
  const std::vector<uint8_t>* allowed = nullptr;
  unsigned threads = 0;  // 0: all cores
  size_t block = 64;     // queries scored together
  uint32_t tile = 2048;  // items scored together
};

// One ranked list per query: (score, item) pairs best first, ties broken by the smaller item
// row, exactly as sorting every eligible item would order them. NaN scores are never ranked.
std::vector<std::vector<std::pair<float, uint32_t>>> rank_top_k(const RankRequest& request);

}  // namespace cofi
