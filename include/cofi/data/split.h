// Train/validation splits of a Ratings set, as row indices into it, all deterministic for a seed.
// The library hands splits to the trainer without files; `cofi data split` writes them out.
//
// Reproducibility: the random numbers come from SplitMix64 with cofi's own bounded draw and
// Fisher-Yates shuffle (src/data/rng_impl.h), never std::shuffle or std::uniform_int_distribution,
// so the same seed gives the same split with any compiler, standard library or thread count.
// Every split function throws cofi::Error on empty ratings, on more rows than uint32_t indexes, and
// on the bad arguments named below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/side.h"

namespace cofi {

struct Split {
  std::vector<uint32_t> train;  // row indices into the ratings, ascending
  std::vector<uint32_t> valid;  // row indices into the ratings, ascending
};

// fastai's RandomSplitter: a random `valid_pct` of all rows (default 0.2) is held out: a
// permutation of the rows is shuffled and its first round(n * valid_pct) rows (halves away from
// zero; fastai truncates) are the validation set. Throws unless 0 < valid_pct < 1 and both sets
// are non-empty.
Split random_split(const Ratings& ratings, double valid_pct, uint64_t seed);

// Per user: hold out a fraction (0 < fraction < 1) of each user's ratings, keeping at least one
// rating of each user in training: a user with c ratings gives min(round(c * fraction), c - 1)
// to validation, rounded to nearest with halves away from zero (so 0.2 of 2 ratings is 0 and
// 0.25 of 2 is 1). The held-out ratings are drawn from a stream of the seed and the dense user
// index, so each user's draw is independent of the others'.
Split holdout_fraction_per_user(const Ratings& ratings, double fraction, uint64_t seed);
// Per user: hold out `count` >= 1 ratings of each user (users with <= count ratings keep one in
// train; a user with one rating keeps it in train).
Split holdout_count_per_user(const Ratings& ratings, uint32_t count, uint64_t seed);

// Cold start: a random share (0 < share < 1) of the users (items) that have ratings is held out
// with every one of their ratings, so that a model trained on the rest has never seen them: the
// first round(n * share) of a seeded shuffle of the n rated users (items). Throws when the share
// would leave either set without users (items).
Split holdout_entities(const Ratings& ratings, Side side, double share, uint64_t seed);

// Temporal: ratings at or after `cutoff` (seconds since the epoch) are held out. Needs timestamps.
// Either set may come back empty (a cutoff before or after all ratings); callers decide.
Split temporal_cutoff(const Ratings& ratings, int64_t cutoff);
// Temporal: each user's last `n` ratings by timestamp (ties broken by row) are held out,
// keeping at least one rating of each user in training. Needs timestamps; n >= 1.
Split temporal_last_n(const Ratings& ratings, uint32_t n);

// k folds (2 <= k <= n): fold i holds out the i-th of k random, near-equal parts of the rows:
// one shuffled permutation p of the rows, part i = p[i*n/k, (i+1)*n/k), so part sizes differ by
// at most one and every row is in exactly one fold's validation set.
std::vector<Split> kfold(const Ratings& ratings, uint32_t k, uint64_t seed);

// Predefined train/test files (ml-100k u1..u5, ua, ub): both re-indexed into `full`'s id maps,
// so that models trained on one are evaluated on the other. Ids are matched by raw id
// (IdMap::find); ratings and timestamps are copied. Throws cofi::Error naming the file, the raw
// id and the first record holding it (1-based row of that file's Ratings) when a split file has
// a user or item that `full` does not.
struct TrainTest {
  Ratings train, test;
};
TrainTest remap_predefined(const Ratings& full, const Ratings& train_file, const Ratings& test_file,
                           const std::string& train_name, const std::string& test_name);

}  // namespace cofi
