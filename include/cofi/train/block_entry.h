// One training rating of the block-parallel SGD engine (block_grid.h), in a header of its own so
// that the SIMD kernels (compiled for other instruction sets) include nothing else.
#pragma once

#include <cstdint>

namespace cofi {

// Slots, not ids (see block_grid.h); 12 bytes, no timestamp.
struct BlockEntry {
  uint32_t user;  // user slot, < n_users
  uint32_t item;  // item slot, < n_items
  float rating;
};
static_assert(sizeof(BlockEntry) == 12, "a training rating is 12 bytes");

}  // namespace cofi
