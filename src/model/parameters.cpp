#include "cofi/model/parameters.h"

#include <algorithm>

#include "cofi/error.h"

namespace cofi {

float* SparseGrad::touch(uint32_t r) {
  COFI_ASSERT(r < slot_of_row_.size());
  int32_t slot = slot_of_row_[r];
  if (slot < 0) {
    slot = static_cast<int32_t>(rows_.size());
    slot_of_row_[r] = slot;
    rows_.push_back(r);
    values_.resize(values_.size() + cols_, 0.0f);  // the new row starts at zero
  }
  return grad(static_cast<size_t>(slot));
}

void SparseGrad::clear() {
  for (uint32_t r : rows_) slot_of_row_[r] = -1;
  rows_.clear();
  values_.clear();  // keeps the capacity, so steady-state batches do not allocate
}

Gradients::Gradients(const std::vector<Parameter>& params) : sparse(params.size()), dense(params.size()) {
  for (size_t i = 0; i < params.size(); ++i) {
    const Parameter& p = params[i];
    if (p.sparse)
      sparse[i] = SparseGrad(p.rows, p.cols);
    else if (p.trainable)
      dense[i].assign(p.size(), 0.0f);
  }
}

void Gradients::clear() {
  for (SparseGrad& g : sparse) g.clear();
  for (std::vector<float>& g : dense) std::fill(g.begin(), g.end(), 0.0f);
}

}  // namespace cofi
