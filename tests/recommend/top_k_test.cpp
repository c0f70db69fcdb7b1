// Top-k against a full sort: the same items in the same order, ties broken by item index,
// exclusions and NaN scores left out.
#include "cofi/recommend/top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace {

std::vector<uint32_t> by_full_sort(const std::vector<float>& s, size_t k, const std::vector<bool>* excluded) {
  std::vector<uint32_t> idx;
  for (uint32_t i = 0; i < s.size(); ++i)
    if ((!excluded || !(*excluded)[i]) && !std::isnan(s[i])) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
  if (idx.size() > k) idx.resize(k);
  return idx;
}

TEST(RecommendTopK, EqualsAFullSortWithManyTies) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    size_t n = 1 + rng() % 300;
    // Few distinct values, so that ties are everywhere and the tie-break decides.
    std::vector<float> s(n);
    for (auto& x : s) x = static_cast<float>(rng() % 7) / 2.0f;
    std::vector<bool> excluded(n);
    for (size_t i = 0; i < n; ++i) excluded[i] = rng() % 4 == 0;
    for (size_t k : {size_t{0}, size_t{1}, size_t{3}, size_t{10}, n / 2, n, n + 5}) {
      EXPECT_EQ(cofi::top_k(s.data(), n, k, nullptr), by_full_sort(s, k, nullptr)) << "n=" << n << " k=" << k;
      EXPECT_EQ(cofi::top_k(s.data(), n, k, &excluded), by_full_sort(s, k, &excluded)) << "n=" << n << " k=" << k;
    }
  }
}

TEST(RecommendTopK, NanScoresNeverEnterAndInfinitiesOrder) {
  std::vector<float> s{1.0f, NAN, INFINITY, -INFINITY, 1.0f, NAN};
  EXPECT_EQ(cofi::top_k(s.data(), s.size(), 10, nullptr), (std::vector<uint32_t>{2, 0, 4, 3}));
}

TEST(RecommendTopK, ScoredResultsAreBestFirst) {
  cofi::TopK sel(3);
  for (uint32_t i = 0; i < 10; ++i) sel.push(static_cast<float>(i % 4), i);
  auto got = sel.take_scored();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<float, uint32_t>{3.0f, 3}));
  EXPECT_EQ(got[1], (std::pair<float, uint32_t>{3.0f, 7}));
  EXPECT_EQ(got[2], (std::pair<float, uint32_t>{2.0f, 2}));
  EXPECT_EQ(sel.size(), 0u);
}

}  // namespace
