// Ranking quality of a saved model on held-out ratings, next to popularity and random baselines
// ranked over the same candidates: for each test user the model knows, the candidates are every
// model item the user did not rate in training (the model's history), and the relevant items are
// their held-out items rated at or above a threshold (or every held-out item).
#pragma once

#include <cstdint>

#include "cofi/data/ratings.h"
#include "cofi/eval/ranking_metrics.h"
#include "cofi/io/model_file.h"

namespace cofi {

struct RankingEvalOptions {
  size_t k = 10;
  float threshold = 4.0f;     // relevant: held-out rating >= threshold
  bool any_relevant = false;  // relevant: every held-out item, whatever its rating
  bool item_bias = true;      // rank with dotbias's item biases (as recommend does by default)
  uint64_t seed = 42;         // of the random baseline
  unsigned threads = 0;       // 0: all cores
};

struct RankingEvalReport {
  RankingMetrics model, popularity, random;
  uint64_t test_users = 0;              // distinct users in the test ratings
  uint64_t unseen_users = 0;            // not in the model: no ranking (see issue: cold start)
  uint64_t users_without_relevant = 0;  // known users with no relevant held-out item: left out
  uint64_t relevant = 0;                // relevant (user, item) pairs of the evaluated users
  uint64_t relevant_unreachable = 0;    // of those, items the model cannot rank (unseen items,
                                        // or rated by the user in training): always misses
};

// Throws cofi::Error when the model has no history (its candidates would be unknown) or k is 0.
RankingEvalReport evaluate_ranking(const SavedModel& model, const Ratings& test,
                                   const RankingEvalOptions& options);

}  // namespace cofi
