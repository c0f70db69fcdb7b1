// Recommendations from a saved model: the top-n items for a user the model knows (excluding what
// they rated in training), for many users at once on all cores, and for a newcomer described only
// by a few ratings (fold-in, fold_in.h), all through the block ranker (rank.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cofi/io/model_file.h"
#include "cofi/recommend/fold_in.h"

namespace cofi {

struct Recommendation {
  uint32_t item = 0;     // model item row
  float score = 0;       // ranking score (Model::score_items: increasing in the prediction)
  float prediction = 0;  // predicted rating, item bias included whatever the ranking used
};

struct RecommendOptions {
  size_t n = 10;
  bool exclude_rated = true;  // leave out the items the user rated (the model's history)
  bool item_bias = true;      // false: rank by taste alone, without items' biases (dotbias)
  std::vector<uint8_t>
      allowed;           // per item row, 0 = never recommend (genre filter, exclusion list); empty: all
  unsigned threads = 0;  // for batches; 0: all cores
};

// A user the model has never seen, fitted to their ratings.
struct Newcomer {
  std::vector<uint32_t> items;  // model item rows they rated, ascending, unique
  std::vector<float> ratings;   // their ratings, aligned with items
  std::vector<float> prior;     // what their features contribute (hybrid; zeros otherwise)
  FoldInResult fit;             // their fitted user vector
};

class Recommender {
 public:
  // `model` must outlive the recommender and keep its parameters while it is used (the item
  // scorer is prepared from them here). Calibrates fold-in's l2 from the model's history.
  explicit Recommender(const SavedModel& model);

  const SavedModel& saved() const { return m_; }
  double fold_in_l2() const { return l2_; }

  // Top-n for model user row `user`. Throws cofi::Error for a row outside the model.
  std::vector<Recommendation> for_user(uint32_t user, const RecommendOptions& options) const;
  // Top-n for each of `users` (model rows), computed in blocks on options.threads threads.
  std::vector<std::vector<Recommendation>> for_users(std::span<const uint32_t> users,
                                                     const RecommendOptions& options) const;

  // Fits a newcomer to (item row, rating) pairs; a repeated item keeps its last rating. A hybrid
  // model also takes their user features (indices into its user vocabulary, with weights): their
  // feature part is held fixed and the id part fitted, so demographics and a few ratings both
  // count (with no ratings the newcomer is their features). Throws cofi::Error for an item row
  // outside the model, a non-finite rating, or features the model cannot take.
  Newcomer fold_in(std::span<const uint32_t> items, std::span<const float> ratings,
                   std::span<const uint32_t> features = {}, std::span<const float> weights = {}) const;
  // Top-n for a newcomer; exclude_rated leaves out the items they rated.
  std::vector<Recommendation> for_newcomer(const Newcomer& who, const RecommendOptions& options) const;

 private:
  // for_users on `threads` threads.
  std::vector<std::vector<Recommendation>> rank_users(std::span<const uint32_t> users,
                                                      const RecommendOptions& options, unsigned threads) const;
  std::vector<Recommendation> finish(const float* user_vector,
                                     std::vector<std::pair<float, uint32_t>> ranked) const;

  const SavedModel& m_;
  // Scores items for users, prepared once for the model (Model::item_scorer).
  std::unique_ptr<Model::ItemScorer> scorer_;
  double l2_ = 1.0;
};

}  // namespace cofi
