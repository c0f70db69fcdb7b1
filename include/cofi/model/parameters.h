// Parameters and their gradients. Embedding tables (and bias tables) are `sparse`: a batch touches
// a few rows, so gradients are kept per touched row and optimizers update only those rows (with a
// catch-up that makes the result equal dense training, see train/optimizer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cofi {

// What the rows of a sparse parameter are indexed by: a batch's users or its items. Lazy
// optimizers catch a batch's rows up before the forward pass, so they must know which rows a
// batch will read.
enum class RowKey : uint8_t { none, user, item };

// A named tensor of rows x cols floats, row-major. Names follow PyTorch's state_dict of the
// matching fastai module ("u_weight", "i_bias", "layers.0.0.weight", ...), so fixtures and files
// line up with PyTorch. A 1-D tensor of size h (a bias, BatchNorm's weight) is h x 1.
struct Parameter {
  std::string name;
  uint32_t rows = 0, cols = 0;
  bool sparse = false;        // an embedding table: rows are users or items (see key)
  RowKey key = RowKey::none;  // for sparse parameters: which index selects a row
  bool trainable = true;      // false for buffers (BatchNorm running statistics)
  // A BatchNorm weight or bias, or a Linear layer's bias: fastai exempts these from weight decay
  // by default (wd_bn_bias=False), see OptimizerConfig::wd_bn_bias.
  bool bn_or_bias = false;
  std::vector<float> value;   // rows * cols

  float* row(uint32_t r) { return value.data() + static_cast<size_t>(r) * cols; }
  const float* row(uint32_t r) const { return value.data() + static_cast<size_t>(r) * cols; }
  size_t size() const { return value.size(); }
};

// The gradient of one sparse parameter for one batch: the rows touched and their summed gradients.
class SparseGrad {
 public:
  SparseGrad() = default;
  SparseGrad(uint32_t rows, uint32_t cols) : cols_(cols), slot_of_row_(rows, -1) {}

  // The gradient row of `r`, zeroed on first touch in this batch. Valid until the next call that
  // adds a row (the storage may grow).
  float* touch(uint32_t r);
  uint32_t cols() const { return cols_; }
  const std::vector<uint32_t>& rows() const { return rows_; }  // unique, in first-touch order
  float* grad(size_t slot) { return values_.data() + slot * cols_; }
  const float* grad(size_t slot) const { return values_.data() + slot * cols_; }
  void clear();  // O(rows touched)

 private:
  uint32_t cols_ = 0;
  std::vector<uint32_t> rows_;
  std::vector<float> values_;
  std::vector<int32_t> slot_of_row_;
};

// Gradients of all parameters of a model, index-aligned with Model::parameters().
struct Gradients {
  std::vector<SparseGrad> sparse;          // for sparse parameters; default-constructed for dense ones
  std::vector<std::vector<float>> dense;   // for trainable dense parameters; empty otherwise

  explicit Gradients(const std::vector<Parameter>& params);
  Gradients() = default;
  void clear();
};

}  // namespace cofi
