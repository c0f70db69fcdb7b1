// The SGD kernels with AVX2 and FMA intrinsics (sgd_kernels_impl.h). This is the only file built
// with -mavx2 -mfma (src/CMakeLists.txt); sgd_kernels.cpp uses it only on CPUs that have both.
// It includes no header with inline functions or templates that other files use (see
// sgd_kernels_impl.h), and calls the C library's expf and sqrtf rather than <cmath>'s overloads.
#include <immintrin.h>
#include <math.h>

#include "sgd_kernels_impl.h"

namespace cofi::train_detail {

namespace {

// The sum of the 8 lanes: high half onto low half, then pairs.
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(s);
  s = _mm_add_ps(s, shuf);
  shuf = _mm_movehl_ps(shuf, s);
  return _mm_cvtss_f32(_mm_add_ss(s, shuf));
}

struct Avx2 {
  // Two accumulators, so that consecutive FMAs do not wait on each other.
  template <uint32_t KV>
  static float dot(const float* a, const float* b, uint32_t kv) {
    const uint32_t n = KV ? KV : kv;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    uint32_t d = 0;
    for (; d + 16 <= n; d += 16) {
      s0 = _mm256_fmadd_ps(_mm256_load_ps(a + d), _mm256_load_ps(b + d), s0);
      s1 = _mm256_fmadd_ps(_mm256_load_ps(a + d + 8), _mm256_load_ps(b + d + 8), s1);
    }
    if (d < n) s0 = _mm256_fmadd_ps(_mm256_load_ps(a + d), _mm256_load_ps(b + d), s0);
    return hsum(_mm256_add_ps(s0, s1));
  }

  template <uint32_t KV>
  static void sgd(float* p, float* q, uint32_t kv, float lg, float dp, float dq) {
    const uint32_t n = KV ? KV : kv;
    const __m256 LG = _mm256_set1_ps(lg), DP = _mm256_set1_ps(dp), DQ = _mm256_set1_ps(dq);
    for (uint32_t d = 0; d < n; d += 8) {
      const __m256 P = _mm256_load_ps(p + d), Q = _mm256_load_ps(q + d);
      _mm256_store_ps(p + d, _mm256_fmadd_ps(LG, Q, _mm256_mul_ps(DP, P)));
      _mm256_store_ps(q + d, _mm256_fmadd_ps(LG, P, _mm256_mul_ps(DQ, Q)));
    }
  }

  template <uint32_t KV>
  static void sumsq(const float* p, const float* q, uint32_t kv, float g, float rp, float rq, float* sp,
                    float* sq) {
    const uint32_t n = KV ? KV : kv;
    const __m256 G = _mm256_set1_ps(g), RP = _mm256_set1_ps(rp), RQ = _mm256_set1_ps(rq);
    __m256 ap = _mm256_setzero_ps(), aq = _mm256_setzero_ps();
    for (uint32_t d = 0; d < n; d += 8) {
      const __m256 P = _mm256_load_ps(p + d), Q = _mm256_load_ps(q + d);
      const __m256 GP = _mm256_fnmadd_ps(RP, P, _mm256_mul_ps(G, Q));
      const __m256 GQ = _mm256_fnmadd_ps(RQ, Q, _mm256_mul_ps(G, P));
      ap = _mm256_fmadd_ps(GP, GP, ap);
      aq = _mm256_fmadd_ps(GQ, GQ, aq);
    }
    *sp = hsum(ap);
    *sq = hsum(aq);
  }

  template <uint32_t KV>
  static void scaled(float* p, float* q, uint32_t kv, float g, float rp, float rq, float ap, float aq) {
    const uint32_t n = KV ? KV : kv;
    const __m256 G = _mm256_set1_ps(g), RP = _mm256_set1_ps(rp), RQ = _mm256_set1_ps(rq);
    const __m256 AP = _mm256_set1_ps(ap), AQ = _mm256_set1_ps(aq);
    for (uint32_t d = 0; d < n; d += 8) {
      const __m256 P = _mm256_load_ps(p + d), Q = _mm256_load_ps(q + d);
      const __m256 GP = _mm256_fnmadd_ps(RP, P, _mm256_mul_ps(G, Q));
      const __m256 GQ = _mm256_fnmadd_ps(RQ, Q, _mm256_mul_ps(G, P));
      _mm256_store_ps(p + d, _mm256_fmadd_ps(AP, GP, P));
      _mm256_store_ps(q + d, _mm256_fmadd_ps(AQ, GQ, Q));
    }
  }

  template <uint32_t KV>
  static void adam(float* p, float* m, float* v, const float* q, uint32_t kv, float g, float rp, float b1,
                   float b2, float a, float c, float eps) {
    const uint32_t n = KV ? KV : kv;
    const __m256 G = _mm256_set1_ps(g), RP = _mm256_set1_ps(rp);
    const __m256 B1 = _mm256_set1_ps(b1), B2 = _mm256_set1_ps(b2);
    const __m256 C1 = _mm256_set1_ps(1.0f - b1), C2 = _mm256_set1_ps(1.0f - b2);
    const __m256 A = _mm256_set1_ps(a), C = _mm256_set1_ps(c), E = _mm256_set1_ps(eps);
    for (uint32_t d = 0; d < n; d += 8) {
      const __m256 P = _mm256_load_ps(p + d), Q = _mm256_load_ps(q + d);
      const __m256 GD = _mm256_fnmadd_ps(RP, P, _mm256_mul_ps(G, Q));
      const __m256 M = _mm256_fmadd_ps(C1, GD, _mm256_mul_ps(B1, _mm256_load_ps(m + d)));
      const __m256 V = _mm256_fmadd_ps(_mm256_mul_ps(C2, GD), GD, _mm256_mul_ps(B2, _mm256_load_ps(v + d)));
      _mm256_store_ps(m + d, M);
      _mm256_store_ps(v + d, V);
      const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(C, V)), E);
      _mm256_store_ps(p + d, _mm256_fmadd_ps(A, _mm256_div_ps(M, den), P));
    }
  }

  static float exp(float x) { return ::expf(x); }
  static float sqrt(float x) { return ::sqrtf(x); }
};

#include "sgd_kernels_body_impl.h"

}  // namespace

extern const SgdKernels kAvx2Kernels = {"avx2", dot_any<Avx2>, train_block<Avx2>};

}  // namespace cofi::train_detail
