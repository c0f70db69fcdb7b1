// The SGD kernels in portable C++ (sgd_kernels_impl.h): the fallback on CPUs without AVX2 and FMA,
// and the reference the AVX2 kernels are tested against. The loops run over 8 lanes, the AVX2
// register's width, so that both builds sum in a similar order; compilers vectorise them with
// whatever the default flags allow (SSE2 on x86-64).
#include <cmath>

#include "sgd_kernels_impl.h"

namespace cofi::train_detail {

namespace {

struct Portable {
  template <uint32_t KV>
  static float dot(const float* a, const float* b, uint32_t kv) {
    const uint32_t n = KV ? KV : kv;
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (uint32_t d = 0; d < n; d += 8)
      for (uint32_t l = 0; l < 8; ++l) lane[l] += a[d + l] * b[d + l];
    return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  }

  template <uint32_t KV>
  static void sgd(float* p, float* q, uint32_t kv, float lg, float dp, float dq) {
    const uint32_t n = KV ? KV : kv;
    for (uint32_t d = 0; d < n; ++d) {
      const float pd = p[d], qd = q[d];
      p[d] = dp * pd + lg * qd;
      q[d] = dq * qd + lg * pd;
    }
  }

  template <uint32_t KV>
  static void sumsq(const float* p, const float* q, uint32_t kv, float g, float rp, float rq, float* sp,
                    float* sq) {
    const uint32_t n = KV ? KV : kv;
    float lp[8] = {0, 0, 0, 0, 0, 0, 0, 0}, lq[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (uint32_t d = 0; d < n; d += 8)
      for (uint32_t l = 0; l < 8; ++l) {
        const float gp = g * q[d + l] - rp * p[d + l];
        const float gq = g * p[d + l] - rq * q[d + l];
        lp[l] += gp * gp;
        lq[l] += gq * gq;
      }
    *sp = ((lp[0] + lp[4]) + (lp[1] + lp[5])) + ((lp[2] + lp[6]) + (lp[3] + lp[7]));
    *sq = ((lq[0] + lq[4]) + (lq[1] + lq[5])) + ((lq[2] + lq[6]) + (lq[3] + lq[7]));
  }

  template <uint32_t KV>
  static void scaled(float* p, float* q, uint32_t kv, float g, float rp, float rq, float ap, float aq) {
    const uint32_t n = KV ? KV : kv;
    for (uint32_t d = 0; d < n; ++d) {
      const float pd = p[d], qd = q[d];
      p[d] = pd + ap * (g * qd - rp * pd);
      q[d] = qd + aq * (g * pd - rq * qd);
    }
  }

  template <uint32_t KV>
  static void adam(float* p, float* m, float* v, const float* q, uint32_t kv, float g, float rp, float b1,
                   float b2, float a, float c, float eps) {
    const uint32_t n = KV ? KV : kv;
    for (uint32_t d = 0; d < n; ++d) {
      const float gd = g * q[d] - rp * p[d];
      m[d] = b1 * m[d] + (1.0f - b1) * gd;
      v[d] = b2 * v[d] + (1.0f - b2) * gd * gd;
      p[d] += a * m[d] / (std::sqrt(c * v[d]) + eps);
    }
  }

  static float exp(float x) { return std::exp(x); }
  static float sqrt(float x) { return std::sqrt(x); }
};

#include "sgd_kernels_body_impl.h"

}  // namespace

extern const SgdKernels kPortableKernels = {"portable", dot_any<Portable>, train_block<Portable>};

}  // namespace cofi::train_detail
