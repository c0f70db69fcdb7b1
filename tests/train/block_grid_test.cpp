// The block grid of block-parallel SGD: every rating lands in exactly one block, in the block its
// user and item bands say, in (user, item) order; slots are permutations and bands balanced; the
// layout does not depend on the thread count. The scheduler hands out each block once an epoch
// and never two blocks that share a band, whatever the threads do.
#include "cofi/train/block_grid.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <tuple>

#include "cofi/error.h"
#include "train/scale_fixtures.h"

namespace {

using namespace cofi;

std::vector<std::tuple<uint32_t, uint32_t, float>> slotted(const Ratings& r, const BlockGrid& g) {
  std::vector<std::tuple<uint32_t, uint32_t, float>> out;
  for (size_t k = 0; k < r.size(); ++k)
    out.emplace_back(g.user_slot()[r.user[k]], g.item_slot()[r.item[k]], r.rating[k]);
  std::sort(out.begin(), out.end());
  return out;
}

uint32_t band_of(const std::vector<uint32_t>& begin, uint32_t slot) {
  return static_cast<uint32_t>(std::upper_bound(begin.begin(), begin.end(), slot) - begin.begin()) - 1;
}

TEST(BlockGrid, EveryRatingInOneBlockOfItsBandsInUserItemOrder) {
  auto data = test::low_rank_data(97, 61, 0.3, 2, 0.1, 1);
  const uint32_t g = 5;
  BlockGrid grid = BlockGrid::build(data.train, 97, 61, g, 42, 1);
  ASSERT_EQ(grid.size(), data.train.size());
  ASSERT_EQ(grid.bands(), g);
  std::vector<std::tuple<uint32_t, uint32_t, float>> all;
  for (uint32_t r = 0; r < g; ++r)
    for (uint32_t c = 0; c < g; ++c) {
      auto block = grid.block(r, c);
      for (size_t k = 0; k < block.size(); ++k) {
        const BlockEntry& e = block[k];
        EXPECT_EQ(band_of(grid.user_band_begin(), e.user), r);
        EXPECT_EQ(band_of(grid.item_band_begin(), e.item), c);
        if (k > 0) {
          const BlockEntry& prev = block[k - 1];
          EXPECT_TRUE(prev.user < e.user || (prev.user == e.user && prev.item < e.item))
              << "block (" << r << ", " << c << ") out of order at " << k;
        }
        all.emplace_back(e.user, e.item, e.rating);
      }
    }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, slotted(data.train, grid));
}

TEST(BlockGrid, SlotsArePermutationsBandsBalancedCountsRight) {
  auto data = test::low_rank_data(103, 50, 0.2, 2, 0.1, 2);
  BlockGrid grid = BlockGrid::build(data.train, 103, 50, 7, 9, 2);
  for (const auto* slots : {&grid.user_slot(), &grid.item_slot()}) {
    std::vector<uint32_t> sorted = *slots;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t k = 0; k < sorted.size(); ++k) ASSERT_EQ(sorted[k], k);
  }
  for (const auto* begin : {&grid.user_band_begin(), &grid.item_band_begin()}) {
    ASSERT_EQ(begin->size(), 8u);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t b = 0; b + 1 < begin->size(); ++b) {
      lo = std::min(lo, (*begin)[b + 1] - (*begin)[b]);
      hi = std::max(hi, (*begin)[b + 1] - (*begin)[b]);
    }
    EXPECT_LE(hi - lo, 1u);
  }
  std::vector<uint32_t> users(103, 0), items(50, 0);
  for (size_t k = 0; k < data.train.size(); ++k) {
    ++users[grid.user_slot()[data.train.user[k]]];
    ++items[grid.item_slot()[data.train.item[k]]];
  }
  EXPECT_EQ(grid.user_slot_count(), users);
  EXPECT_EQ(grid.item_slot_count(), items);
}

TEST(BlockGrid, SameLayoutWhateverTheThreadsAndSeedDecides) {
  auto data = test::low_rank_data(80, 70, 0.5, 2, 0.1, 3);
  BlockGrid a = BlockGrid::build(data.train, 80, 70, 6, 5, 1);
  BlockGrid b = BlockGrid::build(data.train, 80, 70, 6, 5, 3);
  BlockGrid c = BlockGrid::build(data.train, 80, 70, 6, 6, 1);
  EXPECT_EQ(a.user_slot(), b.user_slot());
  EXPECT_NE(a.user_slot(), c.user_slot());
  for (uint32_t r = 0; r < 6; ++r)
    for (uint32_t col = 0; col < 6; ++col) {
      auto x = a.block(r, col), y = b.block(r, col);
      ASSERT_EQ(x.size(), y.size());
      for (size_t k = 0; k < x.size(); ++k)
        ASSERT_TRUE(x[k].user == y[k].user && x[k].item == y[k].item && x[k].rating == y[k].rating);
    }
}

TEST(BlockGrid, BadBandsAndIndicesAreErrors) {
  auto data = test::low_rank_data(10, 8, 0.5, 1, 0.1, 4);
  EXPECT_THROW(
      {
        try {
          BlockGrid::build(data.train, 10, 8, 0, 1);
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "block grid: 0 bands do not fit 10 users and 8 items (1 to 8 bands)");
          throw;
        }
      },
      Error);
  EXPECT_THROW(BlockGrid::build(data.train, 10, 8, 9, 1), Error);
  EXPECT_THROW(
      {
        try {
          BlockGrid::build(data.train, 10, 7, 2, 1);  // item 7 is out of range
        } catch (const Error& e) {
          EXPECT_THAT(e.what(), testing::HasSubstr("item index 7; the model has 10 users and 7 items"));
          throw;
        }
      },
      Error);
}

TEST(BlockScheduler, OneThreadGetsEveryBlockOnceInASeededOrder) {
  auto epoch_order = [](uint64_t seed, uint64_t epoch) {
    BlockScheduler s(6, seed);
    s.start_epoch(epoch);
    std::vector<std::pair<uint32_t, uint32_t>> order;
    while (auto b = s.acquire()) {
      order.emplace_back(b->row, b->col);
      s.release(*b);
    }
    EXPECT_EQ(s.handed_out(), 36u);
    return order;
  };
  auto a = epoch_order(1, 1);
  std::set<std::pair<uint32_t, uint32_t>> distinct(a.begin(), a.end());
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(distinct.size(), 36u);
  EXPECT_EQ(a, epoch_order(1, 1));
  EXPECT_NE(a, epoch_order(1, 2));
  EXPECT_NE(a, epoch_order(2, 1));
}

// Workers mark the bands of the block they hold; a second holder of a band would find its mark.
TEST(BlockScheduler, ThreadsNeverShareABand) {
  const uint32_t g = 5;
  const unsigned threads = 4;
  BlockScheduler s(g, 7);
  std::vector<std::atomic<int>> row_holder(g), col_holder(g);
  std::vector<std::atomic<int>> visits(g * g);
  std::atomic<int> clashes{0};
  for (uint64_t epoch = 1; epoch <= 30; ++epoch) {
    s.start_epoch(epoch);
    for (auto& v : visits) v = 0;
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        while (auto b = s.acquire()) {
          const int me = static_cast<int>(t) + 1;
          if (row_holder[b->row].exchange(me) != 0) ++clashes;
          if (col_holder[b->col].exchange(me) != 0) ++clashes;
          ++visits[b->row * g + b->col];
          std::this_thread::yield();
          row_holder[b->row] = 0;
          col_holder[b->col] = 0;
          s.release(*b);
        }
      });
    for (auto& th : pool) th.join();
    for (uint32_t b = 0; b < g * g; ++b)
      ASSERT_EQ(visits[b].load(), 1) << "block " << b << " epoch " << epoch;
  }
  EXPECT_EQ(clashes.load(), 0);
}

TEST(BlockScheduler, StopHandsOutNoMore) {
  BlockScheduler s(4, 1);
  s.start_epoch(1);
  auto b = s.acquire();
  ASSERT_TRUE(b.has_value());
  s.stop();
  EXPECT_FALSE(s.acquire().has_value());
  s.release(*b);
  EXPECT_EQ(s.handed_out(), 1u);
  s.start_epoch(2);
  EXPECT_TRUE(s.acquire().has_value());
}

TEST(BlockScheduler, NothingBeforeTheFirstEpoch) {
  BlockScheduler s(3, 1);
  EXPECT_FALSE(s.acquire().has_value());
}

}  // namespace
