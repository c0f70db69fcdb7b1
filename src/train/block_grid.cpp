#include "cofi/train/block_grid.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "cofi/error.h"
#include "cofi/parallel.h"

namespace cofi {

namespace {

// Ratings per chunk of the counting and scattering passes. Fixed (not derived from the thread
// count) so that where each rating lands does not depend on the threads.
constexpr size_t kChunk = size_t{1} << 20;
// g * g counters per chunk bound the memory of the counting pass: at most 65,536 blocks.
constexpr uint32_t kMaxBands = 256;

// Slot -> band: band b holds slots [ceil(b n / g), ceil((b + 1) n / g)), so band(s) = floor(s g / n).
std::vector<uint32_t> band_begins(uint32_t n, uint32_t g) {
  std::vector<uint32_t> begin(g + 1);
  for (uint32_t b = 0; b <= g; ++b)
    begin[b] = static_cast<uint32_t>((static_cast<uint64_t>(b) * n + g - 1) / g);
  return begin;
}

// A seeded uniform permutation of [0, n): slot[index].
std::vector<uint32_t> permutation(uint32_t n, uint64_t seed, uint64_t stream_index) {
  std::vector<uint32_t> p(n);
  std::iota(p.begin(), p.end(), 0u);
  SplitMix64 rng = stream(seed, stream_index);
  shuffle(std::span<uint32_t>(p), rng);
  return p;
}

}  // namespace

BlockGrid BlockGrid::build(const Ratings& train, uint32_t n_users, uint32_t n_items, uint32_t g,
                           uint64_t seed, unsigned threads) {
  if (g < 1 || g > std::min(n_users, n_items) || g > kMaxBands)
    throw Error("block grid: " + std::to_string(g) + " bands do not fit " + std::to_string(n_users) +
                " users and " + std::to_string(n_items) + " items (1 to " +
                std::to_string(std::min({n_users, n_items, kMaxBands})) + " bands)");
  const size_t n = train.size();
  BlockGrid grid;
  grid.g_ = g;
  grid.user_slot_ = permutation(n_users, seed, 0x51a7'0001);
  grid.item_slot_ = permutation(n_items, seed, 0x51a7'0002);
  grid.user_band_begin_ = band_begins(n_users, g);
  grid.item_band_begin_ = band_begins(n_items, g);

  // The band of each user and item index, so that the passes below do no division per rating.
  std::vector<uint32_t> user_band(n_users), item_band(n_items);
  for (uint32_t u = 0; u < n_users; ++u)
    user_band[u] = static_cast<uint32_t>(static_cast<uint64_t>(grid.user_slot_[u]) * g / n_users);
  for (uint32_t i = 0; i < n_items; ++i)
    item_band[i] = static_cast<uint32_t>(static_cast<uint64_t>(grid.item_slot_[i]) * g / n_items);

  // Pass 1: ratings per (chunk, block). Indices are checked here, once.
  const size_t blocks = static_cast<size_t>(g) * g;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<uint32_t> counts(chunks * blocks, 0);
  std::vector<uint64_t> bad(chunks, UINT64_MAX);  // first row with an index out of range, per chunk
  parallel_for(chunks, threads, [&](size_t c) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    uint32_t* count = counts.data() + c * blocks;
    for (size_t k = lo; k < hi; ++k) {
      const uint32_t u = train.user[k], i = train.item[k];
      if (u >= n_users || i >= n_items) {
        bad[c] = k;
        return;
      }
      ++count[static_cast<size_t>(user_band[u]) * g + item_band[i]];
    }
  });
  for (size_t c = 0; c < chunks; ++c)
    if (bad[c] != UINT64_MAX) {
      const size_t k = bad[c];
      throw Error("block grid: rating " + std::to_string(k + 1) + " has user index " +
                  std::to_string(train.user[k]) + " and item index " + std::to_string(train.item[k]) +
                  "; the model has " + std::to_string(n_users) + " users and " + std::to_string(n_items) +
                  " items");
    }

  // Offsets: blocks in grid order, inside a block the chunks in order. Each chunk's counters
  // become its write positions.
  grid.block_begin_.assign(blocks + 1, 0);
  uint64_t at = 0;
  for (size_t b = 0; b < blocks; ++b) {
    grid.block_begin_[b] = at;
    for (size_t c = 0; c < chunks; ++c) {
      const uint32_t cnt = counts[c * blocks + b];
      counts[c * blocks + b] = static_cast<uint32_t>(at - grid.block_begin_[b]);  // offset within the block
      at += cnt;
    }
  }
  grid.block_begin_[blocks] = at;

  // Pass 2: scatter into the blocks. The entries are written once; no zeroing first.
  grid.entries_ = std::make_unique_for_overwrite<BlockEntry[]>(n);
  grid.size_ = n;
  BlockEntry* out = grid.entries_.get();
  parallel_for(chunks, threads, [&](size_t c) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    uint32_t* pos = counts.data() + c * blocks;
    for (size_t k = lo; k < hi; ++k) {
      const uint32_t u = train.user[k], i = train.item[k];
      const size_t b = static_cast<size_t>(user_band[u]) * g + item_band[i];
      out[grid.block_begin_[b] + pos[b]++] = {grid.user_slot_[u], grid.item_slot_[i], train.rating[k]};
    }
  });
  counts = {};

  // Pass 3: each block in (user slot, item slot) order: a counting sort by user slot (the block's
  // users are one band's slots), then each user's run sorted by item slot.
  parallel_for(blocks, threads, [&](size_t b) {
    const uint32_t r = static_cast<uint32_t>(b / g);
    BlockEntry* first = out + grid.block_begin_[b];
    const size_t len = grid.block_begin_[b + 1] - grid.block_begin_[b];
    if (len < 2) return;
    const uint32_t base = grid.user_band_begin_[r];
    std::vector<uint32_t> start(grid.user_band_begin_[r + 1] - base + 1, 0);
    for (size_t k = 0; k < len; ++k) ++start[first[k].user - base + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<BlockEntry> sorted(len);
    for (size_t k = 0; k < len; ++k) sorted[start[first[k].user - base]++] = first[k];
    size_t run = 0;
    for (size_t k = 1; k <= len; ++k)
      if (k == len || sorted[k].user != sorted[run].user) {
        std::sort(sorted.begin() + static_cast<ptrdiff_t>(run), sorted.begin() + static_cast<ptrdiff_t>(k),
                  [](const BlockEntry& x, const BlockEntry& y) { return x.item < y.item; });
        run = k;
      }
    std::copy(sorted.begin(), sorted.end(), first);
  });

  // Ratings per slot: a user band's slots appear only in that band's row of blocks, an item
  // band's only in its column, so the bands are counted in parallel without sharing counters.
  grid.user_count_.assign(n_users, 0);
  grid.item_count_.assign(n_items, 0);
  parallel_for(g, threads, [&](size_t r) {
    for (uint32_t c = 0; c < g; ++c)
      for (const BlockEntry& e : grid.block(static_cast<uint32_t>(r), c)) ++grid.user_count_[e.user];
  });
  parallel_for(g, threads, [&](size_t c) {
    for (uint32_t r = 0; r < g; ++r)
      for (const BlockEntry& e : grid.block(r, static_cast<uint32_t>(c))) ++grid.item_count_[e.item];
  });
  return grid;
}

BlockScheduler::BlockScheduler(uint32_t g, uint64_t seed) : g_(g), seed_(seed) {
  COFI_ASSERT(g >= 1);
  done_.assign(static_cast<size_t>(g) * g, 1);
  row_busy_.assign(g, 0);
  col_busy_.assign(g, 0);
  row_left_.assign(g, 0);
  col_left_.assign(g, 0);
  handed_out_ = static_cast<uint64_t>(g) * g;  // nothing to hand out before start_epoch
}

void BlockScheduler::start_epoch(uint64_t epoch) {
  std::lock_guard lock(mu_);
  for (uint32_t b = 0; b < g_; ++b) COFI_ASSERT(!row_busy_[b] && !col_busy_[b]);
  std::fill(done_.begin(), done_.end(), 0);
  std::fill(row_left_.begin(), row_left_.end(), g_);
  std::fill(col_left_.begin(), col_left_.end(), g_);
  handed_out_ = 0;
  stopped_ = false;
  rng_ = stream(seed_, epoch);
}

std::optional<BlockScheduler::Block> BlockScheduler::acquire() {
  std::unique_lock lock(mu_);
  const uint64_t total = static_cast<uint64_t>(g_) * g_;
  for (;;) {
    if (stopped_ || handed_out_ == total) return std::nullopt;
    // The free block with the most blocks left in its row and column; ties uniformly at random
    // (reservoir sampling over the tied blocks in grid order).
    int64_t best = -1;
    uint64_t ties = 0;
    Block pick;
    for (uint32_t r = 0; r < g_; ++r) {
      if (row_busy_[r] || row_left_[r] == 0) continue;
      for (uint32_t c = 0; c < g_; ++c) {
        if (col_busy_[c] || done_[static_cast<size_t>(r) * g_ + c]) continue;
        const int64_t score = int64_t{row_left_[r]} + col_left_[c];
        if (score > best) {
          best = score;
          ties = 1;
          pick = {r, c};
        } else if (score == best && rng_.below(++ties) == 0) {
          pick = {r, c};
        }
      }
    }
    if (best >= 0) {
      done_[static_cast<size_t>(pick.row) * g_ + pick.col] = 1;
      row_busy_[pick.row] = col_busy_[pick.col] = 1;
      --row_left_[pick.row];
      --col_left_[pick.col];
      ++handed_out_;
      return pick;
    }
    // Every block left shares a band with a block in progress: wait for a release.
    cv_.wait(lock);
  }
}

void BlockScheduler::release(Block b) {
  {
    std::lock_guard lock(mu_);
    COFI_ASSERT(b.row < g_ && b.col < g_ && row_busy_[b.row] && col_busy_[b.col]);
    row_busy_[b.row] = col_busy_[b.col] = 0;
  }
  cv_.notify_all();
}

void BlockScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

uint64_t BlockScheduler::handed_out() const {
  std::lock_guard lock(mu_);
  return handed_out_;
}

}  // namespace cofi
