// The side API of the models: a side's vector is the concatenation of its rows, predict_row on a
// table row's vector equals predict() for both sides of every kind (dot, dotbias with and without
// y_range, nn with and without BatchNorm, with non-trivial running statistics), its Jacobian
// matches central finite differences, and score_items is the ranking score that predict passes
// through the y_range sigmoid (dot products) or predict itself (nn).
#include "cofi/model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cofi/error.h"

namespace cofi {
namespace {

struct Kind {
  ModelKind kind;
  bool y_range;
  bool batch_norm;
  std::string name;
};

std::vector<Kind> kinds() {
  return {{ModelKind::dot, true, true, "dot"},
          {ModelKind::dot, false, true, "dot without y_range"},
          {ModelKind::dotbias, true, true, "dotbias"},
          {ModelKind::dotbias, false, true, "dotbias without y_range"},
          {ModelKind::nn, true, true, "nn"},
          {ModelKind::nn, true, false, "nn without batch norm"},
          {ModelKind::nn, false, true, "nn without y_range"}};
}

// 7 users and 9 items; nn sizes its tables differently (3 and 4) with two hidden layers.
// Every parameter is drawn to O(1) values; BatchNorm running means in +-0.5 and variances in
// [0.5, 2], so that eval-mode normalisation is not the identity.
std::unique_ptr<Model> make(const Kind& k, uint64_t seed = 5) {
  ModelConfig c;
  c.kind = k.kind;
  c.n_users = 7;
  c.n_items = 9;
  c.user_factors = 3;
  c.item_factors = k.kind == ModelKind::nn ? 4 : 3;
  c.y_range = k.y_range;
  c.y_min = 0.5f;
  c.y_max = 5.5f;
  c.hidden = {6, 5};
  c.batch_norm = k.batch_norm;
  auto m = Model::create(c, 1);
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), var(0.5f, 2.0f);
  for (auto& p : m->parameters()) {
    const bool running_var = p.name.ends_with("running_var"), running_mean = p.name.ends_with("running_mean");
    for (float& x : p.value) x = running_var ? var(rng) : running_mean ? 0.5f * u(rng) : u(rng);
  }
  return m;
}

Side other(Side s) { return s == Side::user ? Side::item : Side::user; }
uint32_t rows(const Model& m, Side s) { return s == Side::user ? m.config().n_users : m.config().n_items; }
const char* name(Side s) { return s == Side::user ? "user" : "item"; }

TEST(ModelSide, SideSizesVectorsAndEmbeddings) {
  for (const Kind& k : kinds()) {
    auto m = make(k);
    const size_t bias = k.kind == ModelKind::dotbias ? 1 : 0;
    EXPECT_EQ(m->side_size(Side::user), 3 + bias) << k.name;
    EXPECT_EQ(m->side_size(Side::item), (k.kind == ModelKind::nn ? 4 : 3) + bias) << k.name;
    const std::string ue = k.kind == ModelKind::nn ? "embeds.0.weight" : "u_weight";
    const std::string ie = k.kind == ModelKind::nn ? "embeds.1.weight" : "i_weight";
    EXPECT_EQ(m->embedding(Side::user).name, ue) << k.name;
    EXPECT_EQ(m->embedding(Side::item).name, ie) << k.name;
    // The vector of row r: the embedding's row, then (dotbias) the bias.
    for (Side s : {Side::user, Side::item}) {
      const Parameter& e = m->embedding(s);
      for (uint32_t r = 0; r < rows(*m, s); ++r) {
        std::vector<float> v(m->side_size(s));
        m->side_vector(s, r, v.data());
        std::vector<float> want(e.row(r), e.row(r) + e.cols);
        if (bias) want.push_back(m->parameters()[s == Side::user ? 2 : 3].value[r]);
        EXPECT_EQ(v, want) << k.name << " " << name(s) << " " << r;
      }
    }
  }
}

TEST(ModelSide, SideVectorOutsideTheTableThrows) {
  auto m = make(kinds()[2]);
  std::vector<float> v(4);
  try {
    m->side_vector(Side::user, 7, v.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "user index 7 is outside the model's 7");
  }
  try {
    m->side_vector(Side::item, 100, v.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "item index 100 is outside the model's 9");
  }
}

TEST(ModelSide, PredictRowOfATableRowEqualsPredict) {
  for (const Kind& k : kinds()) {
    auto m = make(k);
    for (Side s : {Side::user, Side::item}) {
      for (uint32_t r = 0; r < rows(*m, s); ++r) {
        std::vector<float> v(m->side_size(s));
        m->side_vector(s, r, v.data());
        // Every row of the other side, some twice and out of order.
        std::vector<uint32_t> others;
        for (uint32_t o = rows(*m, other(s)); o-- > 0;) others.push_back(o);
        others.push_back(1);
        others.push_back(1);
        std::vector<float> got(others.size()), jac(others.size() * v.size()), want(others.size());
        m->predict_row(s, v.data(), others.data(), others.size(), got.data(), nullptr);
        std::vector<uint32_t> users(others.size(), r), items = others;
        if (s == Side::item) std::swap(users, items);
        m->predict(users.data(), items.data(), users.size(), want.data());
        for (size_t b = 0; b < others.size(); ++b) {
          if (k.kind == ModelKind::nn) {  // matrix products of other shapes: a rounding apart
            EXPECT_NEAR(got[b], want[b], 2e-6 * std::max(1.0f, std::fabs(want[b])))
                << k.name << " " << name(s);
          } else {  // the same operations in the same order
            EXPECT_EQ(got[b], want[b]) << k.name << " " << name(s) << " row " << r << " other " << others[b];
          }
        }
        // Asking for the Jacobian does not change the predictions.
        std::vector<float> again(others.size());
        m->predict_row(s, v.data(), others.data(), others.size(), again.data(), jac.data());
        EXPECT_EQ(again, got) << k.name;
      }
    }
  }
}

TEST(ModelSide, PredictRowOfAnEmptyBatchAndBadIndices) {
  auto m = make(kinds()[4]);
  std::vector<float> v(m->side_size(Side::user), 0.1f);
  m->predict_row(Side::user, v.data(), nullptr, 0, nullptr, nullptr);
  const uint32_t others[2] = {3, 9};
  float out[2];
  try {
    m->predict_row(Side::user, v.data(), others, 2, out, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model: item index 9 at row 1 is out of range (the model has 9 items)");
  }
  const uint32_t users[1] = {7};
  std::vector<float> iv(m->side_size(Side::item), 0.1f);
  try {
    m->predict_row(Side::item, iv.data(), users, 1, out, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model: user index 7 at row 0 is out of range (the model has 7 users)");
  }
}

// d out[b] / d vec against central differences, at vectors that are not table rows. In float a
// central difference with step h carries a rounding error of about eps |f| / h (6e-8 * 5.5 / h:
// 8e-5 at h = 4e-3, 3e-4 at 1e-3) and a truncation error of h^2 f''' / 6 (under 1e-5). nn is
// piecewise smooth: a ReLU kink between x - h and x + h breaks the difference itself, so nn
// takes a smaller step, and a component whose one-sided differences disagree by more than
// curvature explains (h |f''| stays under 5e-3) is skipped; the test counts that few were.
TEST(ModelSide, JacobianMatchesFiniteDifferences) {
  for (const Kind& k : kinds()) {
    auto m = make(k);
    const bool nn = k.kind == ModelKind::nn;
    const float h = nn ? 1e-3f : 4e-3f;
    const double tolerance = nn ? 2e-3 : 1e-3;
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    size_t checked = 0, skipped = 0;
    for (Side s : {Side::user, Side::item}) {
      const size_t d = m->side_size(s);
      std::vector<uint32_t> others;
      for (uint32_t o = 0; o < rows(*m, other(s)); ++o) others.push_back(o);
      const size_t n = others.size();
      for (int trial = 0; trial < 4; ++trial) {
        std::vector<float> v(d);
        for (float& x : v) x = u(rng);
        std::vector<float> f0(n), jac(n * d);
        m->predict_row(s, v.data(), others.data(), n, f0.data(), jac.data());
        for (size_t c = 0; c < d; ++c) {
          std::vector<float> plus = v, minus = v, fp(n), fm(n);
          plus[c] += h;
          minus[c] -= h;
          const double step = static_cast<double>(plus[c]) - minus[c];  // as represented
          m->predict_row(s, plus.data(), others.data(), n, fp.data(), nullptr);
          m->predict_row(s, minus.data(), others.data(), n, fm.data(), nullptr);
          for (size_t b = 0; b < n; ++b) {
            const double fwd = (static_cast<double>(fp[b]) - f0[b]) / (step / 2);
            const double bwd = (static_cast<double>(f0[b]) - fm[b]) / (step / 2);
            const double central = (static_cast<double>(fp[b]) - fm[b]) / step;
            if (nn && std::fabs(fwd - bwd) > 0.01) {
              ++skipped;
              continue;
            }
            ++checked;
            const double j = jac[b * d + c];
            EXPECT_NEAR(j, central, tolerance * (1 + std::fabs(central)))
                << k.name << " " << name(s) << " other " << others[b] << " component " << c;
          }
        }
      }
    }
    EXPECT_GT(checked, 20 * skipped) << k.name << ": too many components skipped";
  }
}

TEST(ModelSide, DotProductJacobianByHand) {
  // dotbias with y_range: d out / d (factors, bias) = s * (item factors, 1), with s the sigmoid's
  // slope (out - lo) (hi - out) / (hi - lo).
  auto m = make(kinds()[2]);
  const float v[4] = {0.3f, -0.7f, 0.2f, 0.4f};
  const uint32_t items[3] = {0, 4, 8};
  float out[3], jac[12];
  m->predict_row(Side::user, v, items, 3, out, jac);
  const Parameter& iw = m->embedding(Side::item);
  for (int b = 0; b < 3; ++b) {
    const double s = (out[b] - 0.5) * (5.5 - out[b]) / 5.0;
    for (int f = 0; f < 3; ++f) EXPECT_NEAR(jac[b * 4 + f], s * iw.row(items[b])[f], 2e-6);
    EXPECT_NEAR(jac[b * 4 + 3], s, 2e-6);
  }
}

double sigmoid_range(double x, double lo, double hi) { return lo + (hi - lo) / (1.0 + std::exp(-x)); }

// User vectors that are not table rows, for n users at once.
std::vector<float> user_vectors(const Model& m, size_t n, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n * m.side_size(Side::user));
  for (float& x : v) x = u(rng);
  return v;
}

TEST(ModelSide, ScoreItemsOfDotProductsIsThePredictionBeforeTheSigmoid) {
  for (const Kind& k : kinds()) {
    if (k.kind == ModelKind::nn) continue;
    auto m = make(k);
    const size_t d = m->side_size(Side::user), n = 5;
    const std::vector<float> users = user_vectors(*m, n, 4);
    for (auto [begin, end] : {std::pair{0u, 9u}, std::pair{2u, 7u}, std::pair{8u, 9u}, std::pair{3u, 3u}}) {
      const size_t w = end - begin;
      std::vector<float> score(n * w), no_bias(n * w);
      m->score_items(users.data(), n, begin, end, score.data());
      m->score_items(users.data(), n, begin, end, no_bias.data(), false);
      for (size_t q = 0; q < n; ++q) {
        std::vector<uint32_t> items;
        for (uint32_t i = begin; i < end; ++i) items.push_back(i);
        std::vector<float> pred(w);
        m->predict_row(Side::user, users.data() + q * d, items.data(), w, pred.data(), nullptr);
        for (size_t j = 0; j < w; ++j) {
          const double s = score[q * w + j];
          const double want_pred = k.y_range ? sigmoid_range(s, 0.5, 5.5) : s;
          EXPECT_NEAR(want_pred, pred[j], 2e-6 * std::max(1.0, std::fabs(want_pred)))
              << k.name << " user " << q;
          const uint32_t item = begin + static_cast<uint32_t>(j);
          if (k.kind == ModelKind::dotbias) {
            // The same sums less the item's bias.
            EXPECT_NEAR(s - no_bias[q * w + j], m->parameters()[3].value[item], 1e-6) << k.name;
            EXPECT_NE(s, no_bias[q * w + j]) << k.name;
          } else {
            EXPECT_EQ(s, no_bias[q * w + j]) << k.name << ": dot has no item biases";
          }
        }
      }
    }
  }
}

TEST(ModelSide, ScoreItemsOfNnIsThePrediction) {
  for (const Kind& k : kinds()) {
    if (k.kind != ModelKind::nn) continue;
    auto m = make(k);
    const size_t d = m->side_size(Side::user), n = 4;
    const std::vector<float> users = user_vectors(*m, n, 8);
    const uint32_t begin = 1, end = 8, w = end - begin;
    std::vector<float> score(n * w), no_bias(n * w);
    m->score_items(users.data(), n, begin, end, score.data());
    m->score_items(users.data(), n, begin, end, no_bias.data(), false);
    EXPECT_EQ(score, no_bias) << k.name << ": nn has no item biases to leave out";
    for (size_t q = 0; q < n; ++q) {
      std::vector<uint32_t> items;
      for (uint32_t i = begin; i < end; ++i) items.push_back(i);
      std::vector<float> pred(w);
      m->predict_row(Side::user, users.data() + q * d, items.data(), w, pred.data(), nullptr);
      for (size_t j = 0; j < w; ++j) EXPECT_EQ(score[q * w + j], pred[j]) << k.name;
    }
    // And for table rows, predict() itself.
    std::vector<float> rowv(d), s(9), pred(9);
    std::vector<uint32_t> u(9, 2), items{0, 1, 2, 3, 4, 5, 6, 7, 8};
    m->side_vector(Side::user, 2, rowv.data());
    m->score_items(rowv.data(), 1, 0, 9, s.data());
    m->predict(u.data(), items.data(), 9, pred.data());
    for (size_t j = 0; j < 9; ++j)
      EXPECT_NEAR(s[j], pred[j], 2e-6 * std::max(1.0f, std::fabs(pred[j]))) << k.name;
  }
}

}  // namespace
}  // namespace cofi
