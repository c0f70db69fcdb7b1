// The random numbers behind splits, initialisation, batch order and dropout: a generator, a
// bounded integer and a shuffle, all written here rather than taken from <random>/<algorithm>.
// std::uniform_int_distribution and std::shuffle are not specified bit for bit, so libstdc++,
// libc++ and MSVC give different results for the same seed; a split or a model trained on one
// machine must be reproducible on another.
//
// Generator: SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014; the constants are those of Vigna's reference splitmix64.c). It passes BigCrush,
// accepts any 64-bit seed (0 included) and needs 8 bytes of state, so a separate stream per user
// costs nothing. Its first outputs for seed 0 are pinned in tests/data/split_test.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace cofi {

// The SplitMix64 output function: a bijective 64-bit mixer.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(uint64_t seed) : state_(seed) {}

  constexpr uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

  // Uniform in [0, 1) with 53 random bits.
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }

  // Uniform in [0, bound), bound >= 1, without modulo bias: draws below 2^64 mod bound are
  // rejected so that the accepted range is a whole multiple of bound. At most one draw in two
  // is rejected (far fewer for bounds much smaller than 2^64).
  constexpr uint64_t below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;  // == 2^64 mod bound
    for (;;) {
      uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  uint64_t state_;
};

// An independent stream for (seed, stream index), e.g. one per user, so that a user's draw does
// not depend on how many numbers other users consumed, nor on which thread handles them.
constexpr SplitMix64 stream(uint64_t seed, uint64_t index) {
  return SplitMix64(mix64(seed ^ mix64(index + 0x632be59bd9b4e019ULL)));
}

// Forward Fisher-Yates on the first `count` positions: afterwards values[0, count) is a uniform
// random sample, in random order, and with count == values.size() the whole span is a uniform
// permutation. Going forward (position i swaps with a random j >= i) makes a partial shuffle a
// prefix of the full one, so "shuffle, then take the first cut" can stop after `cut` steps.
template <class T>
constexpr void partial_shuffle(std::span<T> values, size_t count, SplitMix64& rng) {
  const size_t n = values.size();
  if (count > n) count = n;
  for (size_t i = 0; i < count && i + 1 < n; ++i) {
    size_t j = i + static_cast<size_t>(rng.below(n - i));
    std::swap(values[i], values[j]);
  }
}

template <class T>
constexpr void shuffle(std::span<T> values, SplitMix64& rng) {
  partial_shuffle(values, values.size(), rng);
}

}  // namespace cofi
