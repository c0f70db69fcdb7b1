// What a model learned, as the recipe interprets it: the items with the lowest and highest bias
// (liked or disliked whoever watches them, beyond what the factors explain), the principal
// components of the item factors, and for one recommendation, the rated items behind it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "cofi/io/model_file.h"

namespace cofi {

struct BiasExtremes {
  std::vector<std::pair<float, uint32_t>> lowest, highest;  // (bias, item row), most extreme first
  size_t eligible = 0;                                      // items with enough ratings
};

// Each item row's bias: dotbias's table value; hybrid's id bias plus what the item's features add.
// Empty for a model without item biases (dot, nn, content).
std::vector<float> item_biases(const Model& model);

// The n items with the lowest and the highest bias among items with at least `min_ratings`
// training ratings (all items when the catalog has no counts). nullopt for a model without item
// biases (dot, nn). Ties go to the smaller row.
std::optional<BiasExtremes> item_bias_extremes(const SavedModel& m, uint32_t min_ratings, size_t n);

struct ItemPca {
  std::vector<uint32_t> items;                  // the item rows analysed
  std::vector<double> explained;                // per component: its share of the total variance
  std::vector<std::vector<float>> coordinates;  // [component][i]: item i's coordinate on it
};

// Principal components of the item representations of `items` (Model::representation: the
// embedding rows for dot, dotbias and nn) (fastai's Tensor.pca: centre the rows,
// project onto the top `components` right singular vectors), computed from the k x k covariance.
// Each axis's sign is fixed so that its largest-magnitude loading is positive, so results do not
// flip between runs or platforms. Throws cofi::Error with fewer than 2 items or components out of
// 1..k.
ItemPca item_pca(const Model& model, std::span<const uint32_t> items, size_t components);

// The `n` items with the most training ratings, most first (ties by row): the recipe's
// "top movies" for the PCA.
std::vector<uint32_t> most_rated_items(const Catalog& catalog, size_t n);

struct Contribution {
  uint32_t item = 0;  // a rated item row
  float rating = 0;   // its rating
  double effect = 0;  // its share of the prediction for the explained item, in rating units
};

// Why `user_vector` (with its ratings of `rated`) scores `item` as it does: the user's vector,
// at the balance fold-in reaches, is a sum of one term per rated item,
//   x = A^-1 sum_j J_j^T w_j,  A = sum_j J_j^T J_j + l2 I,  w_j = J_j . x - (f_j - y_j),
// (J_j the prediction's gradient in x), so the prediction's user-dependent part for `item`,
// linearised as J_item . x, splits into effect_j = J_item A^-1 J_j^T w_j. Exact for linear
// models at the fold-in solution; a first-order account through the sigmoid and for nn, and
// for training users whose learned row is not exactly at that balance. With a `prior` (side_size
// floats, may be null: zeros) the ridge pulls toward it rather than zero (a hybrid user's feature
// part, FoldInOptions::prior) and x above is the vector minus the prior. Sorted by effect,
// largest first.
std::vector<Contribution> explain_prediction(const Model& model, const float* user_vector,
                                             std::span<const uint32_t> rated, std::span<const float> ratings,
                                             uint32_t item, double l2, const float* prior = nullptr);

}  // namespace cofi
