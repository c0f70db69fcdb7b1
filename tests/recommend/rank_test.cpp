// The block ranker against a full sort: for random score matrices with many ties and NaNs, every
// query's list is the first k of all its eligible items sorted by score (descending, ties by the
// smaller item), whatever the block and tile sizes and the thread count; exclusions may repeat
// and name items past the end; each (query, item) is scored exactly once.
#include "cofi/recommend/rank.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace cofi {
namespace {

using Ranked = std::vector<std::pair<float, uint32_t>>;

struct Problem {
  size_t queries = 0;
  uint32_t items = 0;
  std::vector<float> scores;                    // queries x items, row-major
  std::vector<std::vector<uint32_t>> excluded;  // per query, ascending, repeats and ids >= items allowed
  std::vector<uint8_t> allowed;                 // per item; empty: all
};

Problem random_problem(std::mt19937& rng, size_t queries, uint32_t items, bool with_allowed) {
  Problem p;
  p.queries = queries;
  p.items = items;
  p.scores.resize(queries * items);
  // Five distinct values and NaN: ties everywhere, so the tie-break decides most positions.
  for (float& s : p.scores) {
    const auto r = static_cast<unsigned>(rng() % 12);
    s = r == 0 ? std::nanf("") : static_cast<float>(r % 5) * 0.5f - 1.0f;
  }
  p.excluded.resize(queries);
  for (auto& ex : p.excluded) {
    for (uint32_t i = 0; i < items + 3; ++i) {
      if (rng() % 5 != 0) continue;
      ex.push_back(i);                      // i may be past the last item
      if (rng() % 3 == 0) ex.push_back(i);  // a repeat
    }
  }
  if (with_allowed) {
    p.allowed.resize(items);
    for (auto& a : p.allowed) a = rng() % 4 != 0;
  }
  return p;
}

// Every eligible item of query q sorted in full: score descending, ties by item; NaN left out.
Ranked by_full_sort(const Problem& p, size_t q, size_t k) {
  Ranked all;
  for (uint32_t i = 0; i < p.items; ++i) {
    const float s = p.scores[q * p.items + i];
    if (std::isnan(s)) continue;
    if (std::binary_search(p.excluded[q].begin(), p.excluded[q].end(), i)) continue;
    if (!p.allowed.empty() && !p.allowed[i]) continue;
    all.push_back({s, i});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// Ranks `p` and checks that every (query, item) pair was scored exactly once.
std::vector<Ranked> rank(const Problem& p, size_t k, size_t block, uint32_t tile, unsigned threads) {
  std::unique_ptr<std::atomic<int>[]> calls(new std::atomic<int>[p.queries * p.items]);
  for (size_t j = 0; j < p.queries * p.items; ++j) calls[j] = 0;
  std::atomic<bool> bad_call{false};
  RankRequest req;
  req.queries = p.queries;
  req.items = p.items;
  req.k = k;
  req.block = block;
  req.tile = tile;
  req.threads = threads;
  req.allowed = &p.allowed;
  req.score = [&](size_t first, size_t count, uint32_t begin, uint32_t end, float* out) {
    if (first + count > p.queries || begin >= end || end > p.items || end - begin > tile || count > block)
      bad_call = true;
    for (size_t q = 0; q < count; ++q)
      for (uint32_t i = begin; i < end; ++i) {
        out[q * (end - begin) + (i - begin)] = p.scores[(first + q) * p.items + i];
        ++calls[(first + q) * p.items + i];
      }
  };
  req.excluded = [&](size_t q) { return std::span<const uint32_t>(p.excluded[q]); };
  auto lists = rank_top_k(req);
  EXPECT_FALSE(bad_call) << "a score call outside the request's bounds";
  for (size_t j = 0; j < p.queries * p.items; ++j) EXPECT_EQ(calls[j].load(), 1) << "pair " << j;
  return lists;
}

// Bitwise equality (NaN never appears in a list, so == on the floats is exact).
void expect_lists(const std::vector<Ranked>& got, const Problem& p, size_t k, const std::string& what) {
  ASSERT_EQ(got.size(), p.queries) << what;
  for (size_t q = 0; q < p.queries; ++q) EXPECT_EQ(got[q], by_full_sort(p, q, k)) << what << " query " << q;
}

TEST(RecommendRank, EqualsAFullSortForEveryBlockTileAndThreadCount) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 12; ++trial) {
    const size_t queries = 1 + rng() % 40;
    const auto items = static_cast<uint32_t>(1 + rng() % 90);
    const Problem p = random_problem(rng, queries, items, trial % 2 == 1);
    for (size_t k : {size_t{1}, size_t{4}, size_t{10}, size_t{items}, size_t{items} + 7}) {
      const std::string what = "trial " + std::to_string(trial) + " k " + std::to_string(k);
      const auto reference = rank(p, k, 64, 2048, 1);
      expect_lists(reference, p, k, what);
      for (size_t block : {size_t{1}, size_t{3}, size_t{64}})
        for (uint32_t tile : {1u, 7u, 32u, 2048u})
          for (unsigned threads : {1u, 2u}) {
            const auto got = rank(p, k, block, tile, threads);
            EXPECT_EQ(got, reference)
                << what << " block " << block << " tile " << tile << " threads " << threads;
          }
    }
  }
}

TEST(RecommendRank, KZeroGivesEmptyListsAndNoQueriesNoLists) {
  std::mt19937 rng(3);
  const Problem p = random_problem(rng, 5, 20, false);
  for (const auto& l : rank(p, 0, 2, 4, 2)) EXPECT_TRUE(l.empty());
  Problem none = p;
  none.queries = 0;
  none.excluded.clear();
  EXPECT_TRUE(rank(none, 10, 2, 4, 2).empty());
}

TEST(RecommendRank, AllNaNOrAllExcludedGivesEmptyLists) {
  Problem p;
  p.queries = 2;
  p.items = 6;
  p.scores.assign(12, 1.0f);
  for (int i = 0; i < 6; ++i) p.scores[static_cast<size_t>(i)] = std::nanf("");  // query 0: all NaN
  p.excluded = {{}, {0, 0, 1, 2, 3, 4, 5, 5, 9}};                                // query 1: all excluded
  for (uint32_t tile : {1u, 4u, 100u}) {
    auto got = rank(p, 3, 1, tile, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].empty());
    EXPECT_TRUE(got[1].empty());
  }
}

TEST(RecommendRank, ExclusionsAndTheMaskCombine) {
  // Scores 5 4 3 2 1 0 for items 0..5; item 1 excluded, item 2 masked: 0, 3, 4 remain at k = 3.
  Problem p;
  p.queries = 1;
  p.items = 6;
  p.scores = {5, 4, 3, 2, 1, 0};
  p.excluded = {{1}};
  p.allowed = {1, 1, 0, 1, 1, 1};
  for (uint32_t tile : {1u, 2u, 3u, 6u}) {
    auto got = rank(p, 3, 1, tile, 1);
    EXPECT_EQ(got[0], (Ranked{{5.0f, 0}, {2.0f, 3}, {1.0f, 4}})) << "tile " << tile;
  }
}

TEST(RecommendRank, InfinitiesRankAtTheEnds) {
  Problem p;
  p.queries = 1;
  p.items = 5;
  p.scores = {0.0f, -INFINITY, INFINITY, std::nanf(""), -0.5f};
  p.excluded = {{}};
  auto got = rank(p, 10, 1, 2, 1);
  EXPECT_EQ(got[0], (Ranked{{INFINITY, 2}, {0.0f, 0}, {-0.5f, 4}, {-INFINITY, 1}}));
}

}  // namespace
}  // namespace cofi
