// Which SGD kernels run: AVX2 + FMA when this build has them (x86-64) and the CPU reports both,
// else the portable ones.
#include "sgd_kernels_impl.h"

namespace cofi::train_detail {

const SgdKernels* avx2_kernels() {
#if defined(COFI_HAVE_AVX2_KERNELS)
  static const bool usable = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return usable ? &kAvx2Kernels : nullptr;
#else
  return nullptr;
#endif
}

const SgdKernels& portable_kernels() { return kPortableKernels; }

}  // namespace cofi::train_detail
