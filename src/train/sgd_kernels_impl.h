// The hot loops of block-parallel SGD, in one place: the dot product of two rows and the training
// pass over one block. Two builds of the same loops (sgd_kernels_body_impl.h): portable C++
// (sgd_kernels_portable.cpp, the default compiler flags) and AVX2 with FMA
// (sgd_kernels_avx2.cpp, the only file compiled with -mavx2 -mfma); sgd_kernels.cpp picks one at
// run time with __builtin_cpu_supports. The default build never assumes AVX2.
//
// This header is included by the AVX2 file, so it includes nothing but <cstddef>, <cstdint> and
// block_entry.h: an inline function of a shared header compiled there could be the copy the linker
// keeps for every caller, AVX2 instructions included.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cofi/train/block_entry.h"

namespace cofi::train_detail {

// Everything a row has besides its factors, 32 bytes: two rows a cache line.
struct RowAux {
  float bias = 0;   // b_u or b_i (dotbias; stays 0 for dot)
  float reg_f = 0;  // lambda_f / n: the factor penalty of one visit; 0 for a row without ratings
  float reg_b = 0;  // lambda_b / n
  // adagrad: the accumulated mean square of the factor steps and the square of the bias steps;
  // adam: beta1^t and beta2^t for the row's t visits so far (starting at 1).
  float acc_f = 0, acc_b = 0;
  float m_b = 0, v_b = 0;  // adam: the bias's moments
  float unused = 0;
};
static_assert(sizeof(RowAux) == 32, "two rows of auxiliary state a cache line");

// Floats the kernels read per row: k rounded up to a multiple of 8 (one AVX2 register). Rows are
// stored with zeros after the k-th factor; every rule keeps them zero (their gradient is zero).
constexpr uint32_t padded_factors(uint32_t k) { return (k + 7) / 8 * 8; }

// The tables one training pass updates. Factor rows start 32-byte aligned: `stride` is a multiple
// of 8 floats and the tables are 64-byte aligned.
struct KernelTables {
  float* user_factors = nullptr;  // n_users x stride
  float* item_factors = nullptr;  // n_items x stride
  RowAux* user_aux = nullptr;     // n_users
  RowAux* item_aux = nullptr;     // n_items
  // adam: first and second moments, the factors' shape; null for the other rules.
  float* user_m = nullptr;
  float* user_v = nullptr;
  float* item_m = nullptr;
  float* item_v = nullptr;
  size_t stride = 0;
};

enum class KernelRule : uint8_t { sgd, adagrad, adam };

struct KernelStep {
  KernelRule rule = KernelRule::sgd;
  uint32_t k = 0;   // factors
  uint32_t kv = 0;  // padded_factors(k)
  float lr = 0;
  float offset = 0;      // mu, added to every raw prediction
  bool biases = false;   // dotbias: the row biases take part and are trained
  bool y_range = false;  // pred = y_lo + y_scale * sigmoid(x); else pred = x
  float y_lo = 0, y_scale = 1;
  float beta1 = 0.9f, beta2 = 0.999f;  // adam
  float eps = 1e-8f;                   // adam and adagrad
};

struct SgdKernels {
  const char* name;  // "portable" or "avx2"
  // a[0..kv) . b[0..kv); kv a multiple of 8, rows 32-byte aligned.
  float (*dot)(const float* a, const float* b, uint32_t kv);
  // One step per rating, in order, on ratings[0..n) (see sgd_blocks.h for the rules). Returns the
  // sum of the squared errors r - pred, each taken before its step.
  double (*train_block)(const BlockEntry* ratings, size_t n, const KernelTables& t, const KernelStep& s);
};

// Defined in sgd_kernels_portable.cpp and (on x86-64 builds) sgd_kernels_avx2.cpp: constant data,
// so nothing of the AVX2 file runs unless it is chosen.
extern const SgdKernels kPortableKernels;
extern const SgdKernels kAvx2Kernels;

// sgd_kernels.cpp: the AVX2 kernels when this build has them and this CPU runs them, else null.
const SgdKernels* avx2_kernels();
const SgdKernels& portable_kernels();

}  // namespace cofi::train_detail
