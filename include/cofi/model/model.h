// Models: the recipe's dot, dotbias and nn. A model owns its parameters, computes predictions for a
// batch of (user, item) pairs and the gradients of a loss through them. Virtual calls happen once a
// batch, never per rating; the per-rating loops are plain and vectorisable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cofi/features.h"
#include "cofi/model/model_config.h"
#include "cofi/model/parameters.h"
#include "cofi/side.h"

namespace cofi {

inline RowKey row_key(Side side) { return side == Side::user ? RowKey::user : RowKey::item; }

class Model {
 public:
  virtual ~Model() = default;

  // A model with fastai's initialisation, deterministic for `seed`:
  //   dot: weights uniform(0, 0.05) (the recipe); dotbias and nn embeddings: fastai's
  //   trunc_normal_ (normal, fmod 2, times 0.01); nn Linear layers: PyTorch's default
  //   (uniform +-1/sqrt(fan_in) for weight and bias); BatchNorm: weight 1, bias 1e-3.
  // Each parameter draws from its own stream of (seed, parameter index), so the values do not
  // depend on the platform's <random>. nn embedding sizes left at 0 are resolved with
  // fastai_embedding_size, and config() reports the resolved sizes.
  // Throws cofi::Error when the config is invalid.
  static std::unique_ptr<Model> create(const ModelConfig& config, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }

  // Predictions for n pairs into out[0..n). `training` turns on dropout and batch statistics (nn)
  // and keeps what backward() needs; `seed` drives dropout masks for this batch (the same seed and
  // batch give the same masks). In training mode nn also updates the BatchNorm running statistics.
  // Throws cofi::Error for a user or item index outside the tables, and for a training batch of
  // one row when nn uses BatchNorm (its variance is undefined; PyTorch refuses it too).
  virtual void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
                       uint64_t seed = 0) = 0;
  // After forward(training = true) on a batch: adds d(sum_b dout[b] * out[b]) / d(parameters) into
  // `grads`. For a mean loss, dout already carries the 1/n.
  virtual void backward(const float* dout, Gradients& grads) = 0;

  // Eval-mode predictions (no dropout, BatchNorm running statistics), safe to call from several
  // threads at once. Equals forward(training = false). Throws like forward().
  virtual void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const = 0;

  // --- One user or item given by its own parameters rather than a table row ---
  // (fold-in of a new user, explanations, recommending for a vector that is not in the tables.)
  // A side's vector is that side's row of every sparse parameter keyed by it, concatenated in
  // parameter order: dot: the k factors; dotbias and hybrid: the k factors then the bias; nn: the
  // embedding; content: the user's profile over the item features then their mean (items: none).
  // For hybrid the vector is the row's whole representation: its id part (the table rows) plus
  // the part its features contribute (feature_vector), so that predictions need nothing else.
  size_t side_size(Side side) const;
  // The vector of table row `row` of `side` (side_size(side) floats into out), features included.
  void side_vector(Side side, uint32_t row, float* out) const;
  // The embedding table of a side (u_weight, embeds.1.weight, ...): the first sparse parameter
  // keyed by it with more than one column. Throws cofi::Error for a side without one (content's
  // items).
  const Parameter& embedding(Side side) const;

  // --- Features (hybrid, content) ---
  // The weighted features of every row of `side` over a vocabulary of config().user_features
  // (item_features) names. Kinds without features, and content's users, have none (no rows);
  // a new hybrid or content model has rows without features, under placeholder names.
  const Features& features(Side side) const { return side == Side::user ? user_features_ : item_features_; }
  // Replaces a side's features. Throws cofi::Error when the kind takes none for the side, or
  // when they do not fit the config (rows, vocabulary size) or break Features' invariants.
  void set_features(Side side, Features features);
  // The part of a side's vector that features (index[j] with weight[j]) contribute, in
  // side_vector's layout: side_size(side) floats into out. Zeros for kinds without feature
  // tables. Fold-in of a hybrid newcomer holds this part fixed and fits the id part.
  virtual void feature_vector(Side side, std::span<const uint32_t> index, std::span<const float> weight,
                              float* out) const;

  // What a row is known by, as a dense vector for similarity and principal components:
  // dot, dotbias, nn: its embedding row; hybrid: id embedding plus its weighted feature
  // embeddings; content: the TF-IDF profile (items at unit length; users: profile times scale).
  virtual size_t representation_size(Side side) const;
  // representation_size(side) floats into out. Throws cofi::Error for a row outside the side.
  virtual void representation(Side side, uint32_t row, float* out) const;

  // Eval-mode predictions for one row of `side` given as `vec` (side_size(side) floats) against
  // rows `others[0..n)` of the other side, into out[0..n). When `jacobian` is not null it receives
  // d out[b] / d vec, row-major n x side_size(side). Throws cofi::Error for an index outside the
  // other side's table. Safe to call from several threads at once.
  virtual void predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                           float* jacobian) const = 0;

  // Ranking scores of items [item_begin, item_end) for n users given as vectors (n x
  // side_size(user), row-major) into out (n x (item_end - item_begin), row-major). The scores
  // are a strictly increasing function of each user's predictions (dot and dotbias: the value
  // before the y_range sigmoid, computed as one matrix product; nn: the predictions), so ranking
  // by them is ranking by predicted rating. `item_bias` false leaves dotbias's item biases out:
  // a ranking by taste alone, without the items' general popularity. Safe from several threads.
  virtual void score_items(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end,
                           float* out, bool item_bias = true) const;

  // score_items from what can be prepared once for many calls (hybrid: every item's
  // representation, which score_items otherwise rebuilds from the feature tables on each call;
  // the other kinds: nothing). The scorer reads the model as it is when made: valid while the
  // model lives and its parameters and features do not change. Safe from several threads.
  class ItemScorer {
   public:
    virtual ~ItemScorer() = default;
    virtual void score(const float* user_vectors, size_t n, uint32_t item_begin, uint32_t item_end, float* out,
                       bool item_bias = true) const = 0;
  };
  virtual std::unique_ptr<ItemScorer> item_scorer() const;

 protected:
  explicit Model(ModelConfig config);
  ModelConfig config_;
  std::vector<Parameter> params_;
  Features user_features_, item_features_;  // see features()
};

}  // namespace cofi
