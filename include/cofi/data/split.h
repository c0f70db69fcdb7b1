// Train/validation splits of a Ratings set, as row indices into it, all deterministic for a seed.
// The library hands splits to the trainer without files; `cofi data split` writes them out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cofi/data/ratings.h"

namespace cofi {

struct Split {
  std::vector<uint32_t> train;  // row indices into the ratings, ascending
  std::vector<uint32_t> valid;  // row indices into the ratings, ascending
};

// fastai's RandomSplitter: a random `valid_pct` of all rows (default 0.2) is held out.
Split random_split(const Ratings& ratings, double valid_pct, uint64_t seed);

// Per user: hold out a fraction (0 < fraction < 1) of each user's ratings, rounded, keeping at
// least one rating of each user in training.
Split holdout_fraction_per_user(const Ratings& ratings, double fraction, uint64_t seed);
// Per user: hold out `count` ratings of each user (users with <= count ratings keep one in train).
Split holdout_count_per_user(const Ratings& ratings, uint32_t count, uint64_t seed);

// Temporal: ratings at or after `cutoff` (seconds since the epoch) are held out.
Split temporal_cutoff(const Ratings& ratings, int64_t cutoff);
// Temporal: each user's last `n` ratings by timestamp (ties broken by row) are held out,
// keeping at least one rating of each user in training.
Split temporal_last_n(const Ratings& ratings, uint32_t n);

// k folds: fold i holds out the i-th of k random, near-equal parts of the rows.
std::vector<Split> kfold(const Ratings& ratings, uint32_t k, uint64_t seed);

// Predefined train/test files (ml-100k u1..u5, ua, ub): both re-indexed into `full`'s id maps,
// so that models trained on one are evaluated on the other. Throws cofi::Error (naming the
// file and line) when a split file has a user or item that `full` does not.
struct TrainTest {
  Ratings train, test;
};
TrainTest remap_predefined(const Ratings& full, const Ratings& train_file, const Ratings& test_file,
                           const std::string& train_name, const std::string& test_name);

}  // namespace cofi
