// The AVX2 scoring kernel against a double-precision reference, for every tail length and row
// count around its blocks of 4 rows and 8 factors, at unaligned addresses; and score_items for a
// few users (the kernel) against a block of many (Eigen) for the kinds that use it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cofi/model/model.h"
#include "features_of.h"
#include "score_kernels.h"

namespace {

using namespace cofi;
using namespace cofi::model_detail;

TEST(ScoreKernels, DotRowsMatchesADoubleReferenceForEveryShape) {
  DotRowsKernel kernel = fast_dot_rows();
  if (!kernel) GTEST_SKIP() << "no AVX2 + FMA on this CPU (or COFI_KERNELS=portable): Eigen scores alone";
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0, 1);
  for (size_t k = 1; k <= 70; ++k)
    for (size_t m = 0; m <= 11; ++m) {
      // One float of offset: rows and the user vector start off any 32-byte boundary.
      std::vector<float> u(k + 1), v(m * k + 1), out(m + 1, -7.0f);
      for (float& x : u) x = normal(rng);
      for (float& x : v) x = normal(rng);
      kernel(u.data() + 1, v.data() + 1, m, k, out.data());
      for (size_t j = 0; j < m; ++j) {
        double ref = 0, mag = 0;
        for (size_t f = 0; f < k; ++f) {
          ref += static_cast<double>(u[1 + f]) * v[1 + j * k + f];
          mag += std::abs(static_cast<double>(u[1 + f]) * v[1 + j * k + f]);
        }
        EXPECT_NEAR(out[j], ref, 1e-6 * mag + 1e-6) << "k " << k << " m " << m << " row " << j;
      }
      EXPECT_EQ(out[m], -7.0f) << "wrote past the rows, k " << k << " m " << m;
    }
}

TEST(ScoreKernels, FewUsersScoreAsABlockOfManyDoes) {
  for (ModelKind kind : {ModelKind::dot, ModelKind::dotbias}) {
    ModelConfig c;
    c.kind = kind;
    c.n_users = 9;
    c.n_items = 203;
    c.user_factors = c.item_factors = 37;
    auto model = Model::create(c, 3);
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0, 0.5f);
    for (auto& p : model->parameters())
      for (float& x : p.value) x = normal(rng);
    const size_t d = model->side_size(Side::user);
    std::vector<float> users(9 * d);
    for (uint32_t u = 0; u < 9; ++u) model->side_vector(Side::user, u, users.data() + u * d);
    // All 9 at once: more than kFewUsers, so Eigen's product; then one at a time.
    std::vector<float> block(9 * 200), one(200);
    model->score_items(users.data(), 9, 3, 203, block.data());
    for (uint32_t u = 0; u < 9; ++u) {
      model->score_items(users.data() + u * d, 1, 3, 203, one.data());
      for (size_t j = 0; j < 200; ++j)
        EXPECT_NEAR(one[j], block[u * 200 + j], 2e-5f * (1 + std::abs(block[u * 200 + j])))
            << to_string(kind) << " user " << u << " item " << j + 3;
    }
  }
}

TEST(ScoreKernels, APreparedScorerScoresAsScoreItemsForEveryKind) {
  for (ModelKind kind : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn, ModelKind::hybrid}) {
    ModelConfig c;
    c.kind = kind;
    c.n_users = 7;
    c.n_items = 61;
    c.user_factors = c.item_factors = 9;
    c.hidden = {5};
    if (kind == ModelKind::hybrid) c.user_features = c.item_features = 3;
    auto model = Model::create(c, 5);
    std::mt19937 rng(13);
    std::normal_distribution<float> normal(0, 0.5f);
    for (auto& p : model->parameters())
      if (p.trainable && p.name.find(".2.") == std::string::npos)  // not nn's BatchNorm
        for (float& x : p.value) x = normal(rng);
    if (kind == ModelKind::hybrid) {  // items: feature i % 3, and 2 for every fourth
      std::vector<std::vector<std::pair<uint32_t, float>>> rows(61);
      for (uint32_t i = 0; i < 61; ++i) {
        rows[i].push_back({i % 3, 0.5f});
        if (i % 4 == 0 && i % 3 != 2) rows[i].push_back({2, 0.5f});
      }
      model->set_features(Side::item, cofi::test::features_of({"a", "b", "c"}, rows));
    }
    const size_t d = model->side_size(Side::user);
    std::vector<float> users(7 * d);
    for (uint32_t u = 0; u < 7; ++u) model->side_vector(Side::user, u, users.data() + u * d);
    const auto scorer = model->item_scorer();
    for (size_t n : {size_t{1}, size_t{7}})
      for (bool item_bias : {true, false}) {
        std::vector<float> direct(n * 50), prepared(n * 50);
        model->score_items(users.data(), n, 11, 61, direct.data(), item_bias);
        scorer->score(users.data(), n, 11, 61, prepared.data(), item_bias);
        EXPECT_EQ(prepared, direct) << to_string(kind) << " n " << n << " item_bias " << item_bias;
      }
  }
}

}  // namespace
