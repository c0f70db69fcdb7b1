// parallel_for: every index runs exactly once on any thread count, results written to distinct
// slots need no lock, and the first failing task's exception (lowest index) reaches the caller
// after every thread has stopped. Run under the tsan preset, these are the races it looks for.
#include "cofi/parallel.h"

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cofi {
namespace {

TEST(ParallelFor, EveryIndexOnceOnAnyThreadCount) {
  for (unsigned threads : {1u, 2u, 3u, 8u, 0u}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
      std::vector<int> hits(n, 0);
      std::atomic<size_t> calls{0};
      parallel_for(n, threads, [&](size_t i) {
        ++hits[i];  // distinct slots: no two tasks share one
        calls.fetch_add(1, std::memory_order_relaxed);
      });
      EXPECT_EQ(calls.load(), n) << threads << " threads, " << n << " tasks";
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << "index " << i;
    }
  }
}

TEST(ParallelFor, BlockSumsAddUpAsOnOneThread) {
  // The pattern of the evaluation and the reader: per-block results, combined in block order.
  const size_t n = 20000, block = 97;
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = 1.0 / static_cast<double>(i + 1);
  const size_t blocks = (n + block - 1) / block;
  std::vector<double> sums(blocks);
  parallel_for(blocks, 4, [&](size_t b) {
    double s = 0;
    for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) s += x[i];
    sums[b] = s;
  });
  std::vector<double> one(blocks);
  parallel_for(blocks, 1, [&](size_t b) {
    double s = 0;
    for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) s += x[i];
    one[b] = s;
  });
  EXPECT_EQ(std::accumulate(sums.begin(), sums.end(), 0.0), std::accumulate(one.begin(), one.end(), 0.0));
}

TEST(ParallelFor, TheLowestFailingIndexIsRethrownAfterAllStop) {
  for (unsigned threads : {1u, 4u}) {
    std::atomic<int> running{0};
    std::vector<std::atomic<bool>> threw(100);
    try {
      parallel_for(100, threads, [&](size_t i) {
        running.fetch_add(1);
        const bool fail = i == 10 || i == 60 || i == 61;
        running.fetch_sub(1);
        if (fail) {
          threw[i] = true;
          throw std::runtime_error(std::to_string(i));
        }
      });
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      // Which failing tasks ran depends on timing (the others stop taking tasks after the first
      // failure); of those that threw, the lowest index is reported, and nothing runs any more.
      size_t lowest = 0;
      while (lowest < threw.size() && !threw[lowest]) ++lowest;
      ASSERT_LT(lowest, threw.size());
      EXPECT_EQ(e.what(), std::to_string(lowest)) << threads << " threads";
      if (threads == 1) {
        EXPECT_STREQ(e.what(), "10");
      }
      EXPECT_EQ(running.load(), 0);
    }
  }
}

TEST(ParallelFor, ResolvesZeroToTheMachine) {
  EXPECT_GE(resolve_threads(0), 1u);
  EXPECT_EQ(resolve_threads(3), 3u);
}

}  // namespace
}  // namespace cofi
