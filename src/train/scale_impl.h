// What the large-data solvers (sgd_blocks.cpp, als.cpp) share: aligned factor tables with their
// per-row state, the offset mu, starting values, scoring held-out ratings straight from the
// tables, and the copy into an ordinary Model.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/model/model.h"
#include "cofi/random.h"
#include "cofi/train/scale.h"
#include "sgd_kernels_impl.h"

namespace cofi::train_detail {

// A zeroed array of n T's starting on a 64-byte boundary (a cache line; AVX2 loads want 32).
template <class T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n) : size_(n) {
    const size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void* mem = bytes ? std::aligned_alloc(64, bytes) : nullptr;
    if (bytes && !mem) throw std::bad_alloc();
    data_.reset(static_cast<T*>(mem));
    for (size_t k = 0; k < n; ++k) new (data_.get() + k) T();
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T& operator[](size_t k) { return data_.get()[k]; }
  const T& operator[](size_t k) const { return data_.get()[k]; }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

// The model being trained, in the solvers' layout: rows indexed by slot (sgd-blocks permutes
// users and items; ALS uses the indices as they are), `stride` floats a row.
struct FactorTables {
  uint32_t k = 0, kv = 0;  // factors; padded_factors(k)
  size_t stride = 0;       // floats a row: kv, and a whole number of cache lines from 16 factors up
  uint32_t n_users = 0, n_items = 0;
  AlignedArray<float> user, item;                      // n x stride, zero beyond k
  AlignedArray<RowAux> user_aux, item_aux;             // biases and per-row optimiser state
  AlignedArray<float> user_m, user_v, item_m, item_v;  // adam only; else empty
  bool biases = false;                                 // dotbias
  bool y_range = false;
  float y_lo = 0, y_scale = 1;  // pred = y_lo + y_scale * sigmoid(x)
  float offset = 0;             // mu (scale.h)

  KernelTables kernel_tables();
  // The prediction for user slot u and item slot i, computed with `dot`.
  float predict(uint32_t u, uint32_t i, float (*dot)(const float*, const float*, uint32_t)) const;
};

// Checks what both solvers need of a model and its data (throws cofi::Error naming the setting):
// dot or dotbias, at most 1024 factors, non-empty training data inside the tables.
void check_scale_inputs(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                        const char* solver);

// Tables for `model` (biases and y_range from it) with mu set from the training ratings: their
// mean, through the inverse sigmoid under y_range; 0 for dot (it has no bias to fold mu into).
// `adam` allocates the moment tables.
FactorTables make_tables(const ModelConfig& model, const Ratings& train, bool adam);

// Fills the first k factors of each row r < n of `rows` (stride floats apart) with normal(0, std^2)
// draws from `rng`, leaving rows whose count is 0 at zero (a row without data stays at the
// prior's mean).
void fill_normal_rows(float* rows, size_t n, size_t stride, uint32_t k, double std, const uint32_t* counts,
                      SplitMix64& rng);

// Mean squared error of the tables' predictions on `data` (model indices; `user_slot` and
// `item_slot` map them to rows, or are empty for the identity), with `kernels`' dot product, on
// `threads` threads. Streams over `data`: nothing per user x item. Summed in a fixed order: the
// result does not depend on the thread count.
double tables_mse(const FactorTables& t, const Ratings& data, const std::vector<uint32_t>& user_slot,
                  const std::vector<uint32_t>& item_slot, const SgdKernels& kernels, unsigned threads);

// An ordinary Model of `config` with the trained values: row u of u_weight is the table's row
// user_slot[u] (identity when empty), and mu is added to each item bias.
std::unique_ptr<Model> export_model(const FactorTables& t, const ModelConfig& config,
                                    const std::vector<uint32_t>& user_slot,
                                    const std::vector<uint32_t>& item_slot);

// The kernels `isa` resolves to (resolve_kernel_isa; throws likewise).
const SgdKernels& kernels_for(KernelIsa isa);

}  // namespace cofi::train_detail
