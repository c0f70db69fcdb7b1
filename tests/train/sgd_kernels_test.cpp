// The SGD kernels: the AVX2 build agrees with the portable one, a plain SGD step is the gradient
// step of the per-rating objective (finite differences, in double), and Adagrad and Adam steps are
// what their formulas give by hand. The AVX2 cases are skipped on CPUs without AVX2 and FMA.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "cofi/random.h"
#include "scale_impl.h"
#include "sgd_kernels_impl.h"

namespace {

using namespace cofi;
using namespace cofi::train_detail;

// A small model in the kernels' layout with random values: n_users x n_items rows of k factors.
struct Tables {
  uint32_t k, kv;
  size_t stride;
  AlignedArray<float> user, item, um, uv, im, iv;
  AlignedArray<RowAux> ua, ia;

  Tables(uint32_t n_users, uint32_t n_items, uint32_t k_, uint64_t seed, bool adam = false)
      : k(k_),
        kv(padded_factors(k_)),
        stride(padded_factors(k_)),
        user(n_users * stride),
        item(n_items * stride),
        ua(n_users),
        ia(n_items) {
    SplitMix64 rng(seed);
    auto fill = [&](AlignedArray<float>& t, size_t rows) {
      for (size_t r = 0; r < rows; ++r)
        for (uint32_t f = 0; f < k; ++f) t[r * stride + f] = static_cast<float>(rng.uniform() - 0.5);
    };
    fill(user, n_users);
    fill(item, n_items);
    for (auto* aux : {&ua, &ia})
      for (size_t r = 0; r < aux->size(); ++r) {
        RowAux& a = (*aux)[r];
        a.bias = static_cast<float>(rng.uniform() - 0.5);
        a.reg_f = static_cast<float>(0.05 + 0.1 * rng.uniform());
        a.reg_b = static_cast<float>(0.02 + 0.1 * rng.uniform());
        a.acc_f = adam ? 1.0f : static_cast<float>(rng.uniform());
        a.acc_b = adam ? 1.0f : static_cast<float>(rng.uniform());
      }
    if (adam) {
      um = AlignedArray<float>(user.size());
      uv = AlignedArray<float>(user.size());
      im = AlignedArray<float>(item.size());
      iv = AlignedArray<float>(item.size());
    }
  }
  KernelTables view() {
    KernelTables t;
    t.user_factors = user.data();
    t.item_factors = item.data();
    t.user_aux = ua.data();
    t.item_aux = ia.data();
    if (um.size()) {
      t.user_m = um.data();
      t.user_v = uv.data();
      t.item_m = im.data();
      t.item_v = iv.data();
    }
    t.stride = stride;
    return t;
  }
};

KernelStep step_for(KernelRule rule, uint32_t k, bool y_range, bool biases) {
  KernelStep s;
  s.rule = rule;
  s.k = k;
  s.kv = padded_factors(k);
  s.lr = rule == KernelRule::adam ? 0.01f : 0.05f;
  s.offset = 0.3f;
  s.biases = biases;
  s.y_range = y_range;
  s.y_lo = 0.0f;
  s.y_scale = 5.5f;
  return s;
}

#define REQUIRE_AVX2()                                                          \
  do {                                                                          \
    if (!avx2_kernels()) GTEST_SKIP() << "this CPU or build has no AVX2 + FMA"; \
  } while (0)

TEST(SgdKernels, DotAvx2EqualsPortable) {
  REQUIRE_AVX2();
  for (uint32_t kv : {8u, 16u, 24u, 32u, 40u, 48u, 64u, 72u, 128u, 1024u}) {
    AlignedArray<float> a(kv), b(kv);
    SplitMix64 rng(kv);
    double exact = 0, size = 0;
    for (uint32_t d = 0; d < kv; ++d) {
      a[d] = static_cast<float>(rng.uniform() - 0.5);
      b[d] = static_cast<float>(rng.uniform() - 0.5);
      exact += static_cast<double>(a[d]) * b[d];
      size += std::abs(static_cast<double>(a[d]) * b[d]);
    }
    const float x = avx2_kernels()->dot(a.data(), b.data(), kv);
    const float y = portable_kernels().dot(a.data(), b.data(), kv);
    // Both within float rounding of the exact sum (relative to the sum of the magnitudes).
    EXPECT_NEAR(x, exact, 1e-6 * size + 1e-7) << kv;
    EXPECT_NEAR(y, exact, 1e-6 * size + 1e-7) << kv;
  }
}

// A block of 300 ratings over 7 users and 11 items, run by both builds from the same tables, for
// each rule, with and without biases and y_range, at sizes with and without a specialised loop.
TEST(SgdKernels, TrainBlockAvx2EqualsPortable) {
  REQUIRE_AVX2();
  std::vector<BlockEntry> block;
  SplitMix64 rng(11);
  for (int j = 0; j < 300; ++j)
    block.push_back({static_cast<uint32_t>(rng.below(7)), static_cast<uint32_t>(rng.below(11)),
                     static_cast<float>(0.5 + 4.5 * rng.uniform())});
  for (KernelRule rule : {KernelRule::sgd, KernelRule::adagrad, KernelRule::adam})
    for (uint32_t k : {5u, 16u, 32u, 40u})
      for (bool y_range : {false, true})
        for (bool biases : {false, true}) {
          const bool adam = rule == KernelRule::adam;
          Tables a(7, 11, k, 3, adam), b(7, 11, k, 3, adam);
          const KernelStep s = step_for(rule, k, y_range, biases);
          const double sa = avx2_kernels()->train_block(block.data(), block.size(), a.view(), s);
          const double sb = portable_kernels().train_block(block.data(), block.size(), b.view(), s);
          const std::string what = "rule " + std::to_string(static_cast<int>(rule)) + " k " +
                                   std::to_string(k) + (y_range ? " y_range" : "") +
                                   (biases ? " biases" : "");
          EXPECT_NEAR(sa, sb, 1e-4 * sb) << what;
          for (size_t x = 0; x < a.user.size(); ++x) ASSERT_NEAR(a.user[x], b.user[x], 1e-4) << what;
          for (size_t x = 0; x < a.item.size(); ++x) ASSERT_NEAR(a.item[x], b.item[x], 1e-4) << what;
          for (size_t r = 0; r < 7; ++r) ASSERT_NEAR(a.ua[r].bias, b.ua[r].bias, 1e-4) << what;
          for (size_t r = 0; r < 11; ++r) ASSERT_NEAR(a.ia[r].bias, b.ia[r].bias, 1e-4) << what;
          // The padding beyond k stays zero.
          for (size_t r = 0; r < 7; ++r)
            for (uint32_t f = k; f < a.kv; ++f) ASSERT_EQ(a.user[r * a.stride + f], 0.0f) << what;
        }
}

// The per-rating objective of sgd_blocks.h in double, for parameters theta = (p, q, b_u, b_i).
struct Objective {
  uint32_t k;
  double r, offset, rp, rq, rbu, rbi;
  bool y_range, biases;
  double lo, scale;
  double operator()(const std::vector<double>& th) const {
    double x = offset;
    for (uint32_t f = 0; f < k; ++f) x += th[f] * th[k + f];
    if (biases) x += th[2 * k] + th[2 * k + 1];
    const double pred = y_range ? lo + scale / (1.0 + std::exp(-x)) : x;
    double pen = 0;
    for (uint32_t f = 0; f < k; ++f) pen += rp * th[f] * th[f] + rq * th[k + f] * th[k + f];
    if (biases) pen += rbu * th[2 * k] * th[2 * k] + rbi * th[2 * k + 1] * th[2 * k + 1];
    return 0.5 * (r - pred) * (r - pred) + 0.5 * pen;
  }
};

std::vector<double> gradient(const Objective& f, std::vector<double> th) {
  std::vector<double> g(th.size());
  for (size_t j = 0; j < th.size(); ++j) {
    const double h = 1e-6, keep = th[j];
    th[j] = keep + h;
    const double up = f(th);
    th[j] = keep - h;
    const double down = f(th);
    th[j] = keep;
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

void check_gradient_step(const SgdKernels& kernels) {
  for (bool y_range : {false, true})
    for (bool biases : {false, true}) {
      const uint32_t k = 12;
      Tables t(1, 1, k, 5);
      const KernelStep s = step_for(KernelRule::sgd, k, y_range, biases);
      Objective f{k,      4.0, s.offset, t.ua[0].reg_f, t.ia[0].reg_f, t.ua[0].reg_b, t.ia[0].reg_b, y_range,
                  biases, 0.0, 5.5};
      std::vector<double> th;
      for (uint32_t d = 0; d < k; ++d) th.push_back(t.user[d]);
      for (uint32_t d = 0; d < k; ++d) th.push_back(t.item[d]);
      th.push_back(t.ua[0].bias);
      th.push_back(t.ia[0].bias);
      const std::vector<double> g = gradient(f, th);
      const BlockEntry e{0, 0, 4.0f};
      kernels.train_block(&e, 1, t.view(), s);
      for (uint32_t d = 0; d < k; ++d) {
        EXPECT_NEAR(t.user[d], th[d] - s.lr * g[d], 2e-6) << kernels.name << " p " << d;
        EXPECT_NEAR(t.item[d], th[k + d] - s.lr * g[k + d], 2e-6) << kernels.name << " q " << d;
      }
      if (biases) {
        EXPECT_NEAR(t.ua[0].bias, th[2 * k] - s.lr * g[2 * k], 2e-6) << kernels.name;
        EXPECT_NEAR(t.ia[0].bias, th[2 * k + 1] - s.lr * g[2 * k + 1], 2e-6) << kernels.name;
      } else {
        EXPECT_EQ(t.ua[0].bias, static_cast<float>(th[2 * k])) << "dot leaves the bias alone";
      }
    }
}

TEST(SgdKernels, SgdStepIsTheGradientStepPortable) { check_gradient_step(portable_kernels()); }

TEST(SgdKernels, SgdStepIsTheGradientStepAvx2) {
  REQUIRE_AVX2();
  check_gradient_step(*avx2_kernels());
}

// One Adagrad and one Adam step computed by hand in double from the formulas of sgd_blocks.h.
void check_adaptive_steps(const SgdKernels& kernels) {
  const uint32_t k = 10;
  for (KernelRule rule : {KernelRule::adagrad, KernelRule::adam}) {
    const bool adam = rule == KernelRule::adam;
    Tables t(1, 1, k, 8, adam);
    KernelStep s = step_for(rule, k, false, true);
    s.beta1 = 0.8f;
    s.beta2 = 0.95f;
    std::vector<double> p(k), q(k);
    for (uint32_t d = 0; d < k; ++d) {
      p[d] = t.user[d];
      q[d] = t.item[d];
    }
    const RowAux au = t.ua[0], ai = t.ia[0];
    double x = s.offset + au.bias + ai.bias;
    for (uint32_t d = 0; d < k; ++d) x += p[d] * q[d];
    const double g = 3.0 - x;
    std::vector<double> dp(k), dq(k);
    double sp = 0, sq = 0;
    for (uint32_t d = 0; d < k; ++d) {
      dp[d] = g * q[d] - au.reg_f * p[d];
      dq[d] = g * p[d] - ai.reg_f * q[d];
      sp += dp[d] * dp[d];
      sq += dq[d] * dq[d];
    }
    const double dbu = g - au.reg_b * au.bias, dbi = g - ai.reg_b * ai.bias;
    std::vector<double> want_p(k), want_q(k);
    double want_bu, want_bi;
    if (!adam) {
      const double gp = au.acc_f + sp / k, gq = ai.acc_f + sq / k;
      for (uint32_t d = 0; d < k; ++d) {
        want_p[d] = p[d] + s.lr * dp[d] / std::sqrt(gp + s.eps);
        want_q[d] = q[d] + s.lr * dq[d] / std::sqrt(gq + s.eps);
      }
      want_bu = au.bias + s.lr * dbu / std::sqrt(au.acc_b + dbu * dbu + s.eps);
      want_bi = ai.bias + s.lr * dbi / std::sqrt(ai.acc_b + dbi * dbi + s.eps);
    } else {
      // First visit: m = (1 - b1) d, v = (1 - b2) d^2; corrected m^ = d, v^ = d^2.
      auto adam_step = [&](double d) {
        const double m = (1 - double{s.beta1}) * d, v = (1 - double{s.beta2}) * d * d;
        return s.lr * (m / (1 - double{s.beta1})) / (std::sqrt(v / (1 - double{s.beta2})) + s.eps);
      };
      for (uint32_t d = 0; d < k; ++d) {
        want_p[d] = p[d] + adam_step(dp[d]);
        want_q[d] = q[d] + adam_step(dq[d]);
      }
      want_bu = au.bias + adam_step(dbu);
      want_bi = ai.bias + adam_step(dbi);
    }
    const BlockEntry e{0, 0, 3.0f};
    kernels.train_block(&e, 1, t.view(), s);
    const char* name = adam ? "adam" : "adagrad";
    for (uint32_t d = 0; d < k; ++d) {
      EXPECT_NEAR(t.user[d], want_p[d], 2e-6) << kernels.name << " " << name << " p " << d;
      EXPECT_NEAR(t.item[d], want_q[d], 2e-6) << kernels.name << " " << name << " q " << d;
    }
    EXPECT_NEAR(t.ua[0].bias, want_bu, 2e-6) << kernels.name << " " << name;
    EXPECT_NEAR(t.ia[0].bias, want_bi, 2e-6) << kernels.name << " " << name;
  }
}

TEST(SgdKernels, AdagradAndAdamStepsMatchTheFormulasPortable) { check_adaptive_steps(portable_kernels()); }

TEST(SgdKernels, AdagradAndAdamStepsMatchTheFormulasAvx2) {
  REQUIRE_AVX2();
  check_adaptive_steps(*avx2_kernels());
}

TEST(SgdKernels, SumOfSquaredErrorsIsOfThePredictionsBeforeEachStep) {
  Tables t(2, 2, 8, 9);
  const KernelStep s = step_for(KernelRule::sgd, 8, false, true);
  const BlockEntry block[] = {{0, 0, 1.0f},
                              {1, 1, 2.0f}};  // disjoint rows: each error is of the start values
  double want = 0;
  for (const BlockEntry& e : block) {
    double x = s.offset + t.ua[e.user].bias + t.ia[e.item].bias;
    for (uint32_t d = 0; d < 8; ++d) x += double{t.user[e.user * 8 + d]} * t.item[e.item * 8 + d];
    want += (e.rating - x) * (e.rating - x);
  }
  EXPECT_NEAR(portable_kernels().train_block(block, 2, t.view(), s), want, 1e-5);
}

}  // namespace
