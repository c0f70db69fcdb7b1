#include "score_kernels.h"

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

}  // namespace cofi::model_detail
