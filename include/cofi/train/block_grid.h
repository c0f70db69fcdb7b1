// The data layout and the schedule of block-parallel SGD (FPSGD, Chin et al. 2015; the design of
// LIBMF): the rating matrix is cut into a grid of g x g blocks, user rows into g bands and item
// columns into g bands. Two blocks that share neither a user band nor an item band touch disjoint
// rows of both embedding tables, so threads working on such blocks update rows without locks and
// without ever writing the same row.
//
// Users and items are renumbered into "slots" by a seeded random permutation (so that every band
// gets a similar share of the ratings whatever the order of the ids), and each band's rows are
// contiguous slots: a block's rows are two contiguous ranges of the tables. Inside a block the
// ratings are ordered by user slot, then item slot, so consecutive updates reuse the user's row
// (still in L1) and walk the item rows in increasing address order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/random.h"
#include "cofi/train/block_entry.h"

namespace cofi {

class BlockGrid {
 public:
  // The ratings of `train` (user < n_users, item < n_items; throws cofi::Error otherwise) cut into
  // g x g blocks (1 <= g <= min(n_users, n_items); throws otherwise). The permutations come from
  // `seed`; the result does not depend on `threads` (used for building only).
  static BlockGrid build(const Ratings& train, uint32_t n_users, uint32_t n_items, uint32_t g, uint64_t seed,
                         unsigned threads = 0);

  uint32_t bands() const { return g_; }  // g
  uint32_t n_users() const { return static_cast<uint32_t>(user_slot_.size()); }
  uint32_t n_items() const { return static_cast<uint32_t>(item_slot_.size()); }
  size_t size() const { return size_; }

  // The ratings of block (user band r, item band c), r, c < g, ordered by (user slot, item slot).
  std::span<const BlockEntry> block(uint32_t r, uint32_t c) const {
    const size_t b = static_cast<size_t>(r) * g_ + c;
    return {entries_.get() + block_begin_[b], entries_.get() + block_begin_[b + 1]};
  }

  // The slot of user index u (size n_users) and of item index i (size n_items): permutations.
  const std::vector<uint32_t>& user_slot() const { return user_slot_; }
  const std::vector<uint32_t>& item_slot() const { return item_slot_; }
  // Band b's slots are [band_begin[b], band_begin[b + 1]) (size g + 1 each).
  const std::vector<uint32_t>& user_band_begin() const { return user_band_begin_; }
  const std::vector<uint32_t>& item_band_begin() const { return item_band_begin_; }
  // Training ratings of each user slot and item slot (sizes n_users and n_items).
  const std::vector<uint32_t>& user_slot_count() const { return user_count_; }
  const std::vector<uint32_t>& item_slot_count() const { return item_count_; }

 private:
  uint32_t g_ = 0;
  // All ratings, block by block (row-major over the grid): size_ entries, 12 bytes each.
  std::unique_ptr<BlockEntry[]> entries_;
  size_t size_ = 0;
  std::vector<uint64_t> block_begin_;  // g * g + 1 offsets into entries_
  std::vector<uint32_t> user_slot_, item_slot_;
  std::vector<uint32_t> user_band_begin_, item_band_begin_;
  std::vector<uint32_t> user_count_, item_count_;
};

// Hands out the blocks of one epoch to worker threads so that no two blocks in progress share a
// user band or an item band, and every block is handed out exactly once per epoch. Thread-safe.
//
// Choice: among the free blocks (not yet done this epoch, band row and column not busy) the
// scheduler takes one whose row and column have the most blocks left this epoch (ties broken by
// a seeded random draw), so that the epoch does not end on a few blocks of one band that only
// one thread at a time can work on. With one thread the order depends on the seed alone.
class BlockScheduler {
 public:
  struct Block {
    uint32_t row = 0, col = 0;  // user band, item band
  };

  BlockScheduler(uint32_t g, uint64_t seed);

  // Starts epoch `epoch` (any number; it seeds the tie-breaking): every block is to do again.
  // Call with no block in progress.
  void start_epoch(uint64_t epoch);
  // The next block to work on, waiting while every block left conflicts with one in progress;
  // nullopt once every block of the epoch has been handed out, or after stop().
  std::optional<Block> acquire();
  // Marks a block from acquire() as finished, freeing its bands.
  void release(Block b);
  // Hands out no more blocks this epoch (blocks in progress still get released).
  void stop();

  uint32_t bands() const { return g_; }
  // Blocks handed out this epoch.
  uint64_t handed_out() const;

 private:
  uint32_t g_;
  uint64_t seed_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SplitMix64 rng_{0};
  std::vector<uint8_t> done_;                  // g * g: handed out this epoch
  std::vector<uint8_t> row_busy_, col_busy_;   // g each
  std::vector<uint32_t> row_left_, col_left_;  // g each: blocks not yet handed out this epoch
  uint64_t handed_out_ = 0;
  bool stopped_ = false;
};

}  // namespace cofi
