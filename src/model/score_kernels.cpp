#include "score_kernels.h"

#include <Eigen/Core>

#include <cstdlib>
#include <cstring>

namespace cofi::model_detail {

DotRowsKernel fast_dot_rows() {
#if defined(COFI_HAVE_AVX2_SCORING)
  static const DotRowsKernel kernel = [] {
    const char* isa = std::getenv("COFI_KERNELS");
    if (isa && std::strcmp(isa, "portable") == 0) return DotRowsKernel{nullptr};
    const bool usable = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return usable ? &dot_rows_avx2 : DotRowsKernel{nullptr};
  }();
  return kernel;
#else
  return nullptr;
#endif
}

void score_bilinear(const float* users, size_t n, size_t d, const float* items, size_t m, size_t k,
                    bool user_bias, const float* item_biases, float* out) {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  // A few users (a request, a fold-in): the AVX2 kernel where the CPU has it; a block of many:
  // Eigen's GEMM, whose cache blocking pays off there.
  if (DotRowsKernel fast = n <= kFewUsers ? fast_dot_rows() : nullptr) {
    for (size_t r = 0; r < n; ++r) fast(users + r * d, items, m, k, out + r * m);
  } else {
    const auto rows = static_cast<Eigen::Index>(n), cols = static_cast<Eigen::Index>(m);
    const auto kk = static_cast<Eigen::Index>(k);
    Eigen::Map<const Matrix, 0, Stride> u(users, rows, kk, Stride(static_cast<Eigen::Index>(d)));
    Eigen::Map<const Matrix> v(items, cols, kk);
    Eigen::Map<Matrix> s(out, rows, cols);
    s.noalias() = u * v.transpose();
  }
  if (!user_bias && !item_biases) return;
  // The user's bias does not change the user's ranking but keeps the scores the model's logits.
  for (size_t r = 0; r < n; ++r) {
    float* row = out + r * m;
    const float ub = user_bias ? users[r * d + k] : 0.0f;
    if (item_biases)
      for (size_t j = 0; j < m; ++j) row[j] = row[j] + ub + item_biases[j];
    else
      for (size_t j = 0; j < m; ++j) row[j] = row[j] + ub;
  }
}

}  // namespace cofi::model_detail
