// Scores of one user vector against a block of item factor rows, for ranking one user at a time
// (a recommendation request, a newcomer's fold-in): out[j] = u . v_j. Eigen's product is the
// baseline-x86-64 (SSE2) build's; on CPUs with AVX2 and FMA this file's kernel, compiled for them
// on its own (score_kernels_avx2.cpp), does the same about twice as fast. Summation order differs
// from Eigen's, so scores agree to float rounding, not bit for bit.
#pragma once

#include <cstddef>

namespace cofi::model_detail {

// out[j] = sum_f u[f] * v[j * k + f] for j < m (rows k floats apart, any alignment).
using DotRowsKernel = void (*)(const float* u, const float* v, size_t m, size_t k, float* out);

// Up to this many user vectors at once are scored row by row with the kernel; more go to Eigen's
// GEMM, whose cache blocking serves batches better.
constexpr size_t kFewUsers = 4;

// The AVX2 + FMA kernel when this build has it and the CPU reports both, unless the environment
// sets COFI_KERNELS=portable (as for the training kernels); null otherwise (use Eigen).
DotRowsKernel fast_dot_rows();

// The dot family's ranking scores: out (n x m) = the users' first k values (rows d floats apart)
// times the item rows (m x k, contiguous) transposed, plus each user's bias (its value at k) when
// user_bias, plus item_biases[j] when not null. A few users go through the AVX2 kernel (when the
// CPU has it), more through Eigen's GEMM. (dot, dotbias and hybrid score through this.)
void score_bilinear(const float* users, size_t n, size_t d, const float* items, size_t m, size_t k,
                    bool user_bias, const float* item_biases, float* out);

#if defined(COFI_HAVE_AVX2_SCORING)
void dot_rows_avx2(const float* u, const float* v, size_t m, size_t k, float* out);
#endif

}  // namespace cofi::model_detail
