// The scoring kernel with AVX2 and FMA intrinsics (score_kernels.h). This is the only file of
// cofi_model built with -mavx2 -mfma (src/CMakeLists.txt), and score_kernels.cpp hands it out only
// on CPUs that have both. It includes no header with inline functions or templates that other
// files use, so no AVX2 code can stand in for theirs at link time.
#include <immintrin.h>
#include <stddef.h>

#include "score_kernels.h"

namespace cofi::model_detail {

namespace {

// Lanes [0, rem) on: a row's last k % 8 factors, without reading past the row.
inline __m256i tail_mask(size_t rem) {
  alignas(32) static const int ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ramp + 8 - rem));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(s);
  s = _mm_add_ps(s, shuf);
  shuf = _mm_movehl_ps(shuf, s);
  return _mm_cvtss_f32(_mm_add_ss(s, shuf));
}

}  // namespace

void dot_rows_avx2(const float* u, const float* v, size_t m, size_t k, float* out) {
  const size_t k8 = k & ~static_cast<size_t>(7);
  const size_t rem = k - k8;
  const __m256i mask = tail_mask(rem);
  const __m256 ut = rem ? _mm256_maskload_ps(u + k8, mask) : _mm256_setzero_ps();
  size_t j = 0;
  // Four rows at a time: each load of u serves four FMAs, and four chains run side by side.
  for (; j + 4 <= m; j += 4) {
    const float* r0 = v + j * k;
    const float* r1 = r0 + k;
    const float* r2 = r1 + k;
    const float* r3 = r2 + k;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t f = 0; f < k8; f += 8) {
      const __m256 x = _mm256_loadu_ps(u + f);
      a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r0 + f), a0);
      a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r1 + f), a1);
      a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r2 + f), a2);
      a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r3 + f), a3);
    }
    if (rem) {
      a0 = _mm256_fmadd_ps(ut, _mm256_maskload_ps(r0 + k8, mask), a0);
      a1 = _mm256_fmadd_ps(ut, _mm256_maskload_ps(r1 + k8, mask), a1);
      a2 = _mm256_fmadd_ps(ut, _mm256_maskload_ps(r2 + k8, mask), a2);
      a3 = _mm256_fmadd_ps(ut, _mm256_maskload_ps(r3 + k8, mask), a3);
    }
    // The four sums at once: pairwise adds leave [s0 s1 s2 s3] in each half, halves added.
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    _mm_storeu_ps(out + j, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
  }
  for (; j < m; ++j) {
    const float* r = v + j * k;
    __m256 a = _mm256_setzero_ps();
    for (size_t f = 0; f < k8; f += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(u + f), _mm256_loadu_ps(r + f), a);
    if (rem) a = _mm256_fmadd_ps(ut, _mm256_maskload_ps(r + k8, mask), a);
    out[j] = hsum(a);
  }
}

}  // namespace cofi::model_detail
