// The model layer: config parsing and validation (one test per message), fastai's initialisation
// (statistics, bounds, determinism), finite-difference gradient checks of every model, and
// predictions against references computed here in double (plain dot products, fastai's
// EmbeddingDotBias, and EmbeddingNN with BatchNorm in both modes).
#include "cofi/model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cofi/error.h"

namespace cofi {
namespace {

// Test numbers from std::mt19937_64, which the standard specifies bit for bit (its
// distributions are not, so the mapping to [lo, hi) is done here).
class TestRng {
 public:
  explicit TestRng(uint64_t seed) : gen_(seed) {}
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(gen_() >> 11) * 0x1p-53;
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(gen_() % n); }

 private:
  std::mt19937_64 gen_;
};

ModelConfig small_config(ModelKind kind) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = 5;
  c.n_items = 6;
  c.user_factors = c.item_factors = 3;
  c.hidden = {4};
  return c;
}

const Parameter& param(const Model& m, std::string_view name) {
  for (const Parameter& p : m.parameters())
    if (p.name == name) return p;
  throw Error("test: no parameter " + std::string(name));
}
Parameter& param(Model& m, std::string_view name) {
  return const_cast<Parameter&>(param(static_cast<const Model&>(m), name));
}

std::vector<std::string> names(const Model& m) {
  std::vector<std::string> out;
  for (const Parameter& p : m.parameters()) out.push_back(p.name);
  return out;
}

// Moves every trainable parameter to uniform(-scale, scale) (BatchNorm scales to 1 +- scale/2),
// so that the checks see O(1) activations rather than the tiny ones of fastai's initialisation.
void randomise(Model& m, uint64_t seed, double scale) {
  TestRng rng(seed);
  for (Parameter& p : m.parameters()) {
    if (!p.trainable) continue;
    const bool bn_scale = p.name.size() > 9 && p.name.ends_with(".2.weight");
    for (float& x : p.value)
      x = static_cast<float>(bn_scale ? 1.0 + rng.uniform(-scale / 2, scale / 2)
                                      : rng.uniform(-scale, scale));
  }
}

struct Batch {
  std::vector<uint32_t> users, items;
  size_t size() const { return users.size(); }
};

// Six pairs in which user 0 and item 1 repeat, and user 3 and items 2 and 4 are absent, so the
// checks cover accumulation over repeated rows and the zero gradient of untouched rows.
Batch repeated_batch() { return {{0, 1, 0, 2, 0, 4}, {1, 1, 3, 5, 1, 0}}; }

Batch random_batch(uint32_t n_users, uint32_t n_items, size_t n, uint64_t seed) {
  TestRng rng(seed);
  Batch b;
  for (size_t i = 0; i < n; ++i) {
    b.users.push_back(rng.below(n_users));
    b.items.push_back(rng.below(n_items));
  }
  return b;
}

std::vector<float> run(Model& m, const Batch& b, bool training, uint64_t seed = 0) {
  std::vector<float> out(b.size());
  m.forward(b.users.data(), b.items.data(), b.size(), out.data(), training, seed);
  return out;
}

std::vector<float> predict(const Model& m, const Batch& b) {
  std::vector<float> out(b.size());
  m.predict(b.users.data(), b.items.data(), b.size(), out.data());
  return out;
}

// The analytic gradient of parameter `index` as a dense rows x cols array.
std::vector<double> dense_grad(const Model& m, const Gradients& g, size_t index) {
  const Parameter& p = m.parameters()[index];
  if (!p.sparse) return {g.dense[index].begin(), g.dense[index].end()};
  std::vector<double> out(p.size(), 0.0);
  const SparseGrad& s = g.sparse[index];
  for (size_t slot = 0; slot < s.rows().size(); ++slot)
    for (uint32_t c = 0; c < p.cols; ++c) out[size_t{s.rows()[slot]} * p.cols + c] = s.grad(slot)[c];
  return out;
}

// Compares backward() against central differences of loss = sum_b w_b * pred_b (w random in
// [-1, 1]) for every element of every trainable parameter. Training mode throughout with the same
// dropout seed, so masks are equal in every evaluation; BatchNorm's batch statistics make each
// prediction depend on the whole batch, so every evaluation runs the whole batch.
// The loss is evaluated in float and summed in double. On O(1) parameters a step of 3e-3 keeps
// float rounding (~1e-7 / step) and truncation (~step^2 times the curvature, which BatchNorm over
// 6 rows makes large: 1e-2 was too coarse) well below the tolerance; the worst error seen is
// ~2e-4 against 2e-3. A step that crosses a ReLU kink gives a wrong difference however right the
// gradient is, so an element that fails is retried with a quarter of the step: a kink or a
// curvature error shrinks with the step, a wrong gradient does not.
void check_gradients(Model& m, const Batch& batch, uint64_t dropout_seed) {
  constexpr double kEps = 3e-3, kTol = 2e-3;
  TestRng rng(99);
  std::vector<float> w(batch.size());
  for (float& x : w) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  auto loss = [&] {
    std::vector<float> out = run(m, batch, true, dropout_seed);
    double sum = 0.0;
    for (size_t b = 0; b < out.size(); ++b) sum += double{w[b]} * out[b];
    return sum;
  };
  // d loss / d value, by a central difference with step eps (the step actually taken in float).
  auto numeric = [&](float& value, double eps) {
    const float original = value;
    const auto up = static_cast<float>(original + eps), down = static_cast<float>(original - eps);
    value = up;
    double plus = loss();
    value = down;
    double minus = loss();
    value = original;
    return (plus - minus) / (double{up} - double{down});
  };

  Gradients grads(m.parameters());
  run(m, batch, true, dropout_seed);
  m.backward(w.data(), grads);

  size_t checked = 0, nonzero = 0;
  double worst = 0.0;
  for (size_t pi = 0; pi < m.parameters().size(); ++pi) {
    Parameter& p = m.parameters()[pi];
    if (!p.trainable) {
      EXPECT_TRUE(grads.dense[pi].empty()) << p.name;
      continue;
    }
    std::vector<double> analytic = dense_grad(m, grads, pi);
    for (size_t e = 0; e < p.size(); ++e) {
      double fd = numeric(p.value[e], kEps);
      if (std::fabs(analytic[e] - fd) > kTol * (1.0 + std::fabs(fd))) fd = numeric(p.value[e], kEps / 4);
      double err = std::fabs(analytic[e] - fd);
      worst = std::max(worst, err / (1.0 + std::fabs(fd)));
      EXPECT_LE(err, kTol * (1.0 + std::fabs(fd))) << p.name << "[" << e / p.cols << "][" << e % p.cols
                                                   << "]: analytic " << analytic[e] << ", numeric " << fd;
      ++checked;
      nonzero += analytic[e] != 0.0;
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_GT(nonzero, checked / 3) << "most gradients are zero: the check proves little";
  testing::Test::RecordProperty("worst_relative_error", std::to_string(worst));
}

// ---- ModelConfig ---------------------------------------------------------------------------

TEST(ModelConfigTest, KindNamesRoundTrip) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn})
    EXPECT_EQ(parse_model_kind(to_string(k)), k);
  EXPECT_STREQ(to_string(ModelKind::dotbias), "dotbias");
}

TEST(ModelConfigTest, UnknownKindListsTheKinds) {
  try {
    parse_model_kind("DotBias");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown model kind \"DotBias\" (expected dot, dotbias, nn, hybrid or content)");
  }
}

TEST(ModelConfigTest, FastaiEmbeddingSizeMatchesFastbook) {
  // fastbook chapter 8, ml-100k with fastai's #na# class: get_emb_sz -> [(944, 74), (1665, 102)].
  EXPECT_EQ(fastai_embedding_size(944), 74u);
  EXPECT_EQ(fastai_embedding_size(1665), 102u);
  EXPECT_EQ(fastai_embedding_size(1), 2u);  // round(1.6)
  EXPECT_EQ(fastai_embedding_size(0), 0u);
  EXPECT_EQ(fastai_embedding_size(100000), 600u);  // 1.6 * 1e5^0.56 = 1015, capped
  EXPECT_EQ(fastai_embedding_size(std::numeric_limits<uint32_t>::max()), 600u);
}

void expect_invalid(const ModelConfig& c, const std::string& message) {
  try {
    validate(c);
    ADD_FAILURE() << "no error for: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
  EXPECT_THROW(Model::create(c, 0), Error);
}

TEST(ModelConfigTest, DefaultsAndSmallConfigsAreValid) {
  ModelConfig c;
  c.n_users = c.n_items = 1;
  EXPECT_NO_THROW(validate(c));
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn})
    EXPECT_NO_THROW(validate(small_config(k)));
}

TEST(ModelConfigTest, ValidateNUsers) {
  ModelConfig c = small_config(ModelKind::dotbias);
  c.n_users = 0;
  expect_invalid(c, "model dotbias: n_users must be > 0");
}

TEST(ModelConfigTest, ValidateNItems) {
  ModelConfig c = small_config(ModelKind::nn);
  c.n_items = 0;
  expect_invalid(c, "model nn: n_items must be > 0");
}

TEST(ModelConfigTest, ValidateUserFactors) {
  ModelConfig c = small_config(ModelKind::dot);
  c.user_factors = 0;
  expect_invalid(c, "model dot: user_factors must be > 0");
}

TEST(ModelConfigTest, ValidateItemFactors) {
  ModelConfig c = small_config(ModelKind::dotbias);
  c.item_factors = 0;
  expect_invalid(c, "model dotbias: item_factors must be > 0");
}

TEST(ModelConfigTest, ValidateFactorsEqual) {
  ModelConfig c = small_config(ModelKind::dot);
  c.item_factors = 4;
  expect_invalid(c, "model dot: user_factors (3) and item_factors (4) must be equal for a dot product");
  // nn concatenates, so the sizes may differ, and 0 means fastai's rule.
  c.kind = ModelKind::nn;
  c.user_factors = 0;
  EXPECT_NO_THROW(validate(c));
}

TEST(ModelConfigTest, ValidateYRange) {
  ModelConfig c = small_config(ModelKind::dotbias);
  c.y_min = 5.0f;
  c.y_max = 0.5f;
  expect_invalid(c, "model dotbias: y_range needs finite y_min < y_max, got y_min 5, y_max 0.5");
  c.y_max = 5.0f;
  expect_invalid(c, "model dotbias: y_range needs finite y_min < y_max, got y_min 5, y_max 5");
  c.y_max = std::numeric_limits<float>::infinity();
  expect_invalid(c, "model dotbias: y_range needs finite y_min < y_max, got y_min 5, y_max inf");
  c.y_max = std::nanf("");
  EXPECT_THROW(validate(c), Error);
  c.y_range = false;  // unused, so not checked
  EXPECT_NO_THROW(validate(c));
}

TEST(ModelConfigTest, ValidateHiddenWidths) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {8, 0};
  expect_invalid(c, "model nn: hidden[1] must be > 0");
  c.kind = ModelKind::dot;  // nn settings do not concern the dot models
  EXPECT_NO_THROW(validate(c));
}

TEST(ModelConfigTest, ValidateDropoutCount) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {8, 4};
  c.dropout = {0.1f};
  expect_invalid(c, "model nn: dropout has 1 values for 2 hidden layers (give one per layer, or none)");
}

TEST(ModelConfigTest, ValidateDropoutValues) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {8, 4};
  c.dropout = {0.1f, 1.0f};
  expect_invalid(c, "model nn: dropout[1] must be in [0, 1), got 1");
  c.dropout = {-0.25f, 0.0f};
  expect_invalid(c, "model nn: dropout[0] must be in [0, 1), got -0.25");
  c.dropout = {std::nanf(""), 0.0f};
  EXPECT_THROW(validate(c), Error);
}

TEST(ModelConfigTest, ValidateEmbedDropout) {
  ModelConfig c = small_config(ModelKind::nn);
  c.embed_dropout = 1.5f;
  expect_invalid(c, "model nn: embed_dropout must be in [0, 1), got 1.5");
}

// ---- Initialisation ------------------------------------------------------------------------

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0, max_abs = 0;
};

Stats stats(const std::vector<float>& v) {
  Stats s;
  s.min = s.max = v.at(0);
  double sum = 0, sq = 0;
  for (float x : v) {
    sum += x;
    s.min = std::min<double>(s.min, x);
    s.max = std::max<double>(s.max, x);
    s.max_abs = std::max<double>(s.max_abs, std::fabs(x));
  }
  s.mean = sum / static_cast<double>(v.size());
  for (float x : v) sq += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(sq / static_cast<double>(v.size()));
  return s;
}

TEST(ModelInitTest, DotIsUniformZeroToFiveHundredths) {
  ModelConfig c = small_config(ModelKind::dot);
  c.n_users = 2000;
  c.n_items = 1000;
  c.user_factors = c.item_factors = 50;
  auto m = Model::create(c, 1);
  EXPECT_EQ(names(*m), (std::vector<std::string>{"u_weight", "i_weight"}));
  for (const Parameter& p : m->parameters()) {
    EXPECT_TRUE(p.sparse);
    EXPECT_EQ(p.key, p.name.starts_with("u_") ? RowKey::user : RowKey::item) << p.name;
    EXPECT_EQ(p.cols, 50u);
    Stats s = stats(p.value);
    EXPECT_GE(s.min, 0.0) << p.name;
    EXPECT_LT(s.max, 0.05f) << p.name;
    EXPECT_NEAR(s.mean, 0.025, 3e-4) << p.name;
    EXPECT_NEAR(s.std, 0.05 / std::sqrt(12.0), 3e-4) << p.name;
    EXPECT_LT(s.min, 1e-4);
    EXPECT_GT(s.max, 0.0499);
  }
  EXPECT_EQ(m->parameters()[0].rows, 2000u);
  EXPECT_EQ(m->parameters()[1].rows, 1000u);
}

// fastai's trunc_normal_(std 0.01): normal, fmod 2, times 0.01. fmod folds the 4.6% of draws
// beyond +-2 back towards 0, so the standard deviation is 0.01 * sqrt(E[fmod(z, 2)^2]) =
// 0.01 * sqrt(0.7500) = 0.00866, not 0.01: E[z^2; |z| < 2] = 1 - 2(2 phi(2) + Q(2)) = 0.7385 and
// the folded tails add 2((1 + 4) Q(2) - 2 phi(2)) + (beyond 4: negligible) = 0.0115.
void expect_trunc_normal(const Parameter& p) {
  Stats s = stats(p.value);
  EXPECT_LT(s.max_abs, 0.02) << p.name;
  EXPECT_NEAR(s.mean, 0.0, 4.0 * 0.0087 / std::sqrt(static_cast<double>(p.size()))) << p.name;
  EXPECT_NEAR(s.std, 0.00866, 0.00866 * 0.03) << p.name;
}

TEST(ModelInitTest, DotBiasIsFastaiTruncNormal) {
  ModelConfig c = small_config(ModelKind::dotbias);
  c.n_users = 20000;
  c.n_items = 30000;
  c.user_factors = c.item_factors = 20;
  auto m = Model::create(c, 2);
  EXPECT_EQ(names(*m), (std::vector<std::string>{"u_weight", "i_weight", "u_bias", "i_bias"}));
  for (const Parameter& p : m->parameters()) {
    EXPECT_TRUE(p.sparse);
    EXPECT_EQ(p.key, p.name.starts_with("u_") ? RowKey::user : RowKey::item) << p.name;
    expect_trunc_normal(p);
  }
  EXPECT_EQ(param(*m, "u_bias").rows, 20000u);
  EXPECT_EQ(param(*m, "u_bias").cols, 1u);
  EXPECT_EQ(param(*m, "i_bias").rows, 30000u);
}

TEST(ModelInitTest, NnNamesShapesAndValuesWithBatchNorm) {
  ModelConfig c = small_config(ModelKind::nn);
  c.n_users = 20000;
  c.n_items = 10000;
  c.user_factors = 0;  // fastai's rule
  c.item_factors = 16;
  c.hidden = {100, 50};
  auto m = Model::create(c, 3);
  const uint32_t uf = fastai_embedding_size(20000);
  EXPECT_EQ(m->config().user_factors, uf);
  EXPECT_EQ(m->config().item_factors, 16u);
  EXPECT_EQ(names(*m),
            (std::vector<std::string>{"embeds.0.weight", "embeds.1.weight",                         //
                                      "layers.0.0.weight", "layers.0.2.weight", "layers.0.2.bias",  //
                                      "layers.0.2.running_mean", "layers.0.2.running_var",          //
                                      "layers.1.0.weight", "layers.1.2.weight", "layers.1.2.bias",  //
                                      "layers.1.2.running_mean", "layers.1.2.running_var",          //
                                      "layers.2.0.weight", "layers.2.0.bias"}));
  auto shape = [&](std::string_view name) {
    const Parameter& p = param(*m, name);
    return std::vector<uint32_t>{p.rows, p.cols};
  };
  EXPECT_EQ(shape("embeds.0.weight"), (std::vector<uint32_t>{20000, uf}));
  EXPECT_EQ(shape("embeds.1.weight"), (std::vector<uint32_t>{10000, 16}));
  EXPECT_EQ(shape("layers.0.0.weight"), (std::vector<uint32_t>{100, uf + 16}));
  EXPECT_EQ(shape("layers.1.0.weight"), (std::vector<uint32_t>{50, 100}));
  EXPECT_EQ(shape("layers.1.2.running_var"), (std::vector<uint32_t>{50, 1}));
  EXPECT_EQ(shape("layers.2.0.weight"), (std::vector<uint32_t>{1, 50}));
  EXPECT_EQ(shape("layers.2.0.bias"), (std::vector<uint32_t>{1, 1}));

  for (const Parameter& p : m->parameters()) {
    EXPECT_EQ(p.sparse, p.name.starts_with("embeds.")) << p.name;
    EXPECT_EQ(p.key, p.name.starts_with("embeds.0.")   ? RowKey::user
                     : p.name.starts_with("embeds.1.") ? RowKey::item
                                                       : RowKey::none)
        << p.name;
    EXPECT_EQ(p.trainable, !p.name.ends_with("running_mean") && !p.name.ends_with("running_var")) << p.name;
  }
  expect_trunc_normal(param(*m, "embeds.0.weight"));
  expect_trunc_normal(param(*m, "embeds.1.weight"));
  // Linear: uniform(+-1/sqrt(fan_in)); a uniform's std is bound / sqrt(3).
  for (auto [name, fan_in] : std::vector<std::pair<std::string, uint32_t>>{
           {"layers.0.0.weight", uf + 16}, {"layers.1.0.weight", 100}, {"layers.2.0.weight", 50}}) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    Stats s = stats(param(*m, name).value);
    EXPECT_LE(s.max_abs, bound) << name;
    EXPECT_GT(s.max_abs, 0.9 * bound) << name;
    if (param(*m, name).size() > 1000) {
      EXPECT_NEAR(s.std, bound / std::sqrt(3.0), 0.05 * bound) << name;
    }
  }
  EXPECT_LE(std::fabs(param(*m, "layers.2.0.bias").value[0]), 1.0 / std::sqrt(50.0));
  for (int i = 0; i < 2; ++i) {
    const std::string bn = "layers." + std::to_string(i) + ".2.";
    for (float x : param(*m, bn + "weight").value) EXPECT_EQ(x, 1.0f);
    for (float x : param(*m, bn + "bias").value) EXPECT_EQ(x, 1e-3f);
    for (float x : param(*m, bn + "running_mean").value) EXPECT_EQ(x, 0.0f);
    for (float x : param(*m, bn + "running_var").value) EXPECT_EQ(x, 1.0f);
  }
}

TEST(ModelInitTest, NnWithoutBatchNormHasLinearBiases) {
  ModelConfig c = small_config(ModelKind::nn);
  c.batch_norm = false;
  c.hidden = {8, 4};
  c.dropout = {0.5f, 0.5f};  // Dropout has no parameters
  auto m = Model::create(c, 4);
  EXPECT_EQ(names(*m), (std::vector<std::string>{"embeds.0.weight", "embeds.1.weight", "layers.0.0.weight",
                                                 "layers.0.0.bias", "layers.1.0.weight", "layers.1.0.bias",
                                                 "layers.2.0.weight", "layers.2.0.bias"}));
  EXPECT_EQ(param(*m, "layers.0.0.bias").rows, 8u);
  for (float x : param(*m, "layers.0.0.bias").value) EXPECT_LE(std::fabs(x), 1.0 / std::sqrt(6.0));
  for (float x : param(*m, "layers.1.0.bias").value) EXPECT_LE(std::fabs(x), 1.0 / std::sqrt(8.0));
}

TEST(ModelInitTest, NnWithoutHiddenLayersIsOneLinear) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {};
  auto m = Model::create(c, 5);
  EXPECT_EQ(names(*m), (std::vector<std::string>{"embeds.0.weight", "embeds.1.weight", "layers.0.0.weight",
                                                 "layers.0.0.bias"}));
  EXPECT_EQ(param(*m, "layers.0.0.weight").cols, 6u);
}

TEST(ModelInitTest, SameSeedSameModelOtherSeedOtherModel) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    ModelConfig c = small_config(k);
    auto a = Model::create(c, 7), b = Model::create(c, 7), other = Model::create(c, 8);
    ASSERT_EQ(a->parameters().size(), other->parameters().size());
    for (size_t i = 0; i < a->parameters().size(); ++i) {
      const Parameter& p = a->parameters()[i];
      EXPECT_EQ(p.value, b->parameters()[i].value) << to_string(k) << " " << p.name;
      bool constant = std::all_of(p.value.begin(), p.value.end(), [&](float x) { return x == p.value[0]; });
      if (!constant) {
        EXPECT_NE(p.value, other->parameters()[i].value) << to_string(k) << " " << p.name;
      }
    }
  }
  // Parameters draw from separate streams: the user table does not repeat the item table.
  auto m = Model::create(small_config(ModelKind::dotbias), 7);
  EXPECT_NE(std::vector<float>(m->parameters()[0].value.begin(), m->parameters()[0].value.begin() + 15),
            std::vector<float>(m->parameters()[1].value.begin(), m->parameters()[1].value.begin() + 15));
}

// The first values for seed 0 pinned, so that a change to the generator or the initialisers (which
// would silently change every model trained with a given seed) shows up here. Values from this
// implementation; FLOAT_EQ (4 ulps) leaves room for a libm whose log/cos round differently.
TEST(ModelInitTest, SeedZeroIsPinned) {
  auto dot = Model::create(small_config(ModelKind::dot), 0);
  auto dotbias = Model::create(small_config(ModelKind::dotbias), 0);
  auto nn = Model::create(small_config(ModelKind::nn), 0);
  EXPECT_FLOAT_EQ(param(*dot, "u_weight").value[0], 0.025623735f);
  EXPECT_FLOAT_EQ(param(*dot, "u_weight").value[1], 0.041070424f);
  EXPECT_FLOAT_EQ(param(*dot, "i_weight").value[0], 0.0188661087f);
  EXPECT_FLOAT_EQ(param(*dotbias, "u_weight").value[0], 0.00519950083f);
  EXPECT_FLOAT_EQ(param(*dotbias, "u_weight").value[1], -0.0108003607f);
  EXPECT_FLOAT_EQ(param(*dotbias, "i_bias").value[0], 0.0175775755f);
  EXPECT_FLOAT_EQ(param(*nn, "layers.0.0.weight").value[0], -0.096357882f);
  EXPECT_FLOAT_EQ(param(*nn, "layers.1.0.bias").value[0], 0.419172466f);
  // The same stream index gives the same values: nn's user table is dotbias's.
  EXPECT_EQ(param(*nn, "embeds.0.weight").value, param(*dotbias, "u_weight").value);
}

// ---- Gradients -----------------------------------------------------------------------------

TEST(ModelGradTest, SparseGradAccumulatesAndClears) {
  SparseGrad g(10, 2);
  float* a = g.touch(7);
  a[0] = 1.0f;
  a[1] = 2.0f;
  g.touch(3)[0] = 5.0f;
  float* again = g.touch(7);
  again[1] += 1.0f;
  EXPECT_EQ(g.rows(), (std::vector<uint32_t>{7, 3}));
  EXPECT_EQ(g.grad(0)[0], 1.0f);
  EXPECT_EQ(g.grad(0)[1], 3.0f);
  EXPECT_EQ(g.grad(1)[0], 5.0f);
  EXPECT_EQ(g.grad(1)[1], 0.0f);
  g.clear();
  EXPECT_TRUE(g.rows().empty());
  float* fresh = g.touch(7);  // zeroed again after clear
  EXPECT_EQ(fresh[0], 0.0f);
  EXPECT_EQ(fresh[1], 0.0f);
  EXPECT_EQ(g.rows(), (std::vector<uint32_t>{7}));
}

TEST(ModelGradTest, GradientsMatchParameterKinds) {
  auto m = Model::create(small_config(ModelKind::nn), 1);
  Gradients g(m->parameters());
  ASSERT_EQ(g.sparse.size(), m->parameters().size());
  ASSERT_EQ(g.dense.size(), m->parameters().size());
  for (size_t i = 0; i < g.dense.size(); ++i) {
    const Parameter& p = m->parameters()[i];
    EXPECT_EQ(g.dense[i].size(), !p.sparse && p.trainable ? p.size() : 0u) << p.name;
    EXPECT_EQ(g.sparse[i].cols(), p.sparse ? p.cols : 0u) << p.name;
  }
  g.dense[2][0] = 3.0f;
  g.sparse[0].touch(1)[0] = 2.0f;
  g.clear();
  EXPECT_EQ(g.dense[2][0], 0.0f);
  EXPECT_TRUE(g.sparse[0].rows().empty());
}

TEST(ModelGradTest, DotWithYRange) {
  auto m = Model::create(small_config(ModelKind::dot), 1);
  randomise(*m, 11, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, DotWithoutYRange) {
  ModelConfig c = small_config(ModelKind::dot);
  c.y_range = false;
  auto m = Model::create(c, 1);
  randomise(*m, 12, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, DotBiasWithYRange) {
  auto m = Model::create(small_config(ModelKind::dotbias), 1);
  randomise(*m, 13, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, DotBiasWithoutYRange) {
  ModelConfig c = small_config(ModelKind::dotbias);
  c.y_range = false;
  auto m = Model::create(c, 1);
  randomise(*m, 14, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, NnWithBatchNorm) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {4, 3};
  auto m = Model::create(c, 1);
  randomise(*m, 15, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, NnWithoutBatchNorm) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {4, 3};
  c.batch_norm = false;
  auto m = Model::create(c, 1);
  randomise(*m, 16, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, NnWithoutYRangeOrHiddenLayers) {
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {};
  c.y_range = false;
  auto m = Model::create(c, 1);
  randomise(*m, 17, 1.0);
  check_gradients(*m, repeated_batch(), 0);
}

TEST(ModelGradTest, NnWithDropout) {
  for (bool bn : {true, false}) {
    ModelConfig c = small_config(ModelKind::nn);
    c.hidden = {5, 4};
    c.dropout = {0.3f, 0.25f};
    c.embed_dropout = 0.2f;
    c.batch_norm = bn;
    auto m = Model::create(c, 1);
    randomise(*m, 18, 1.0);
    SCOPED_TRACE(bn ? "batch_norm" : "no batch_norm");
    check_gradients(*m, repeated_batch(), 1234);
  }
}

TEST(ModelGradTest, TouchedRowsAreTheBatchRowsAndBackwardAdds) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    auto m = Model::create(small_config(k), 1);
    randomise(*m, 19, 1.0);
    Batch b = repeated_batch();
    std::vector<float> dout(b.size(), 0.5f);
    Gradients once(m->parameters()), twice(m->parameters());
    run(*m, b, true);
    m->backward(dout.data(), once);
    m->backward(dout.data(), twice);
    m->backward(dout.data(), twice);
    EXPECT_EQ(once.sparse[0].rows(), (std::vector<uint32_t>{0, 1, 2, 4})) << to_string(k);
    EXPECT_EQ(once.sparse[1].rows(), (std::vector<uint32_t>{1, 3, 5, 0})) << to_string(k);
    for (size_t i = 0; i < m->parameters().size(); ++i) {
      std::vector<double> a = dense_grad(*m, once, i), b2 = dense_grad(*m, twice, i);
      for (size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(b2[e], 2.0 * a[e], 1e-6 * (1.0 + std::fabs(a[e])));
    }
  }
}

// ---- Predictions ---------------------------------------------------------------------------

double sigmoid_range(double x, double lo, double hi) { return 1.0 / (1.0 + std::exp(-x)) * (hi - lo) + lo; }

TEST(ModelPredictTest, DotWithoutYRangeIsThePlainDotProduct) {
  ModelConfig c = small_config(ModelKind::dot);
  c.y_range = false;
  auto m = Model::create(c, 3);
  Batch b = random_batch(5, 6, 40, 1);
  std::vector<float> out = predict(*m, b);
  const Parameter& u = param(*m, "u_weight");
  const Parameter& it = param(*m, "i_weight");
  for (size_t r = 0; r < b.size(); ++r) {
    double dot = 0.0;
    for (uint32_t f = 0; f < 3; ++f) dot += double{u.row(b.users[r])[f]} * it.row(b.items[r])[f];
    EXPECT_NEAR(out[r], dot, 1e-7);
  }
}

TEST(ModelPredictTest, DotWithYRangeIsSigmoidOfTheDotProduct) {
  auto m = Model::create(small_config(ModelKind::dot), 3);
  randomise(*m, 20, 1.0);
  Batch b = random_batch(5, 6, 40, 2);
  std::vector<float> out = predict(*m, b);
  const Parameter& u = param(*m, "u_weight");
  const Parameter& it = param(*m, "i_weight");
  for (size_t r = 0; r < b.size(); ++r) {
    double dot = 0.0;
    for (uint32_t f = 0; f < 3; ++f) dot += double{u.row(b.users[r])[f]} * it.row(b.items[r])[f];
    EXPECT_NEAR(out[r], sigmoid_range(dot, 0.0, 5.5), 2e-6);
  }
}

TEST(ModelPredictTest, DotBiasIsFastaiEmbeddingDotBias) {
  for (bool y_range : {true, false}) {
    ModelConfig c = small_config(ModelKind::dotbias);
    c.y_range = y_range;
    c.y_min = 0.5f;
    c.y_max = 5.0f;
    auto m = Model::create(c, 3);
    randomise(*m, 21, 1.0);
    Batch b = random_batch(5, 6, 40, 3);
    std::vector<float> out = predict(*m, b);
    for (size_t r = 0; r < b.size(); ++r) {
      double x = param(*m, "u_bias").value[b.users[r]] + double{param(*m, "i_bias").value[b.items[r]]};
      for (uint32_t f = 0; f < 3; ++f)
        x += double{param(*m, "u_weight").row(b.users[r])[f]} * param(*m, "i_weight").row(b.items[r])[f];
      EXPECT_NEAR(out[r], y_range ? sigmoid_range(x, 0.5, 5.0) : x, 2e-6);
    }
  }
}

// EmbeddingNN in double, straight from the definition: BatchNorm with batch statistics in
// training mode and running statistics in eval mode; no dropout.
std::vector<double> reference_nn(const Model& m, const Batch& batch, bool training) {
  const ModelConfig& c = m.config();
  const size_t n = batch.size();
  std::vector<std::vector<double>> x(n);
  for (size_t b = 0; b < n; ++b) {
    const float* u = param(m, "embeds.0.weight").row(batch.users[b]);
    const float* it = param(m, "embeds.1.weight").row(batch.items[b]);
    x[b].assign(u, u + c.user_factors);
    x[b].insert(x[b].end(), it, it + c.item_factors);
  }
  for (size_t i = 0; i < c.hidden.size(); ++i) {
    const std::string pre = "layers." + std::to_string(i) + ".";
    const Parameter& w = param(m, pre + "0.weight");
    std::vector<std::vector<double>> a(n, std::vector<double>(w.rows, 0.0));
    for (size_t b = 0; b < n; ++b)
      for (uint32_t j = 0; j < w.rows; ++j) {
        double z = c.batch_norm ? 0.0 : param(m, pre + "0.bias").value[j];
        for (uint32_t k = 0; k < w.cols; ++k) z += double{w.row(j)[k]} * x[b][k];
        a[b][j] = std::max(z, 0.0);
      }
    if (c.batch_norm) {
      for (uint32_t j = 0; j < w.rows; ++j) {
        double mean = param(m, pre + "2.running_mean").value[j],
               var = param(m, pre + "2.running_var").value[j];
        if (training) {
          mean = var = 0.0;
          for (size_t b = 0; b < n; ++b) mean += a[b][j] / static_cast<double>(n);
          for (size_t b = 0; b < n; ++b) var += (a[b][j] - mean) * (a[b][j] - mean) / static_cast<double>(n);
        }
        for (size_t b = 0; b < n; ++b)
          a[b][j] = (a[b][j] - mean) / std::sqrt(var + 1e-5) * param(m, pre + "2.weight").value[j] +
                    param(m, pre + "2.bias").value[j];
      }
    }
    x = a;
  }
  const std::string pre = "layers." + std::to_string(c.hidden.size()) + ".0.";
  std::vector<double> out(n);
  for (size_t b = 0; b < n; ++b) {
    double z = param(m, pre + "bias").value[0];
    for (size_t k = 0; k < x[b].size(); ++k) z += double{param(m, pre + "weight").value[k]} * x[b][k];
    out[b] = c.y_range ? sigmoid_range(z, c.y_min, c.y_max) : z;
  }
  return out;
}

TEST(ModelPredictTest, NnMatchesTheReferenceInBothModes) {
  for (bool bn : {true, false}) {
    ModelConfig c = small_config(ModelKind::nn);
    c.n_users = 50;
    c.n_items = 60;
    c.user_factors = 7;
    c.item_factors = 5;
    c.hidden = {16, 8};
    c.batch_norm = bn;
    auto m = Model::create(c, 5);
    randomise(*m, 22, 0.5);
    if (bn) {  // running statistics other than 0 and 1
      TestRng rng(5);
      for (Parameter& p : m->parameters()) {
        if (p.name.ends_with("running_mean"))
          for (float& x : p.value) x = static_cast<float>(rng.uniform(0.0, 1.0));
        if (p.name.ends_with("running_var"))
          for (float& x : p.value) x = static_cast<float>(rng.uniform(0.2, 2.0));
      }
    }
    Batch b = random_batch(50, 60, 300, 4);
    std::vector<double> eval = reference_nn(*m, b, false), train = reference_nn(*m, b, true);
    std::vector<float> out = predict(*m, b);
    for (size_t r = 0; r < b.size(); ++r) EXPECT_NEAR(out[r], eval[r], 1e-5 * (1 + std::fabs(eval[r]))) << r;
    out = run(*m, b, true);
    for (size_t r = 0; r < b.size(); ++r)
      EXPECT_NEAR(out[r], train[r], 1e-5 * (1 + std::fabs(train[r]))) << r;
  }
}

TEST(ModelPredictTest, NnRunningStatisticsFollowPyTorch) {
  // One hidden layer, so its input is just the concatenated embeddings and the expected batch
  // statistics can be computed here.
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {4};
  auto m = Model::create(c, 6);
  randomise(*m, 23, 1.0);
  Batch b = random_batch(5, 6, 9, 5);
  const Parameter& w = param(*m, "layers.0.0.weight");
  std::vector<double> mean(4, 0.0), var(4, 0.0);
  std::vector<std::vector<double>> a(b.size(), std::vector<double>(4));
  for (size_t r = 0; r < b.size(); ++r)
    for (uint32_t j = 0; j < 4; ++j) {
      double z = 0.0;
      for (uint32_t k = 0; k < 3; ++k)
        z += double{w.row(j)[k]} * param(*m, "embeds.0.weight").row(b.users[r])[k];
      for (uint32_t k = 0; k < 3; ++k)
        z += double{w.row(j)[3 + k]} * param(*m, "embeds.1.weight").row(b.items[r])[k];
      a[r][j] = std::max(z, 0.0);
      mean[j] += a[r][j] / static_cast<double>(b.size());
    }
  for (size_t r = 0; r < b.size(); ++r)
    for (uint32_t j = 0; j < 4; ++j) var[j] += (a[r][j] - mean[j]) * (a[r][j] - mean[j]);
  const std::vector<float> before = predict(*m, b);
  const std::vector<float> training = run(*m, b, true);
  const std::vector<float> after = predict(*m, b);
  for (uint32_t j = 0; j < 4; ++j) {
    // momentum 0.1, from mean 0 and var 1; the unbiased variance, as PyTorch keeps.
    EXPECT_NEAR(param(*m, "layers.0.2.running_mean").value[j], 0.1 * mean[j], 1e-6);
    EXPECT_NEAR(param(*m, "layers.0.2.running_var").value[j],
                0.9 + 0.1 * var[j] / (static_cast<double>(b.size()) - 1.0), 1e-6);
  }
  EXPECT_NE(before, after);    // eval reads the running statistics...
  EXPECT_NE(training, after);  // ...not the batch's
  std::vector<double> reference = reference_nn(*m, b, false);
  for (size_t r = 0; r < b.size(); ++r) EXPECT_NEAR(after[r], reference[r], 1e-5);
}

TEST(ModelPredictTest, PredictionsStayInsideTheYRange) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    ModelConfig c = small_config(k);
    c.y_min = 1.0f;
    c.y_max = 5.0f;
    auto m = Model::create(c, 8);
    Batch b = random_batch(5, 6, 200, 6);
    for (double scale : {0.0, 0.5, 2.0}) {  // 0: fastai's initialisation
      if (scale > 0) randomise(*m, 24, scale);
      for (float y : predict(*m, b)) {
        EXPECT_GT(y, 1.0f) << to_string(k) << " scale " << scale;
        EXPECT_LT(y, 5.0f) << to_string(k) << " scale " << scale;
      }
      for (float y : run(*m, b, true)) {
        EXPECT_GT(y, 1.0f);
        EXPECT_LT(y, 5.0f);
      }
    }
    // Saturated in float (|x| > ~17), the sigmoid reaches 0 or 1: the ends, never beyond.
    randomise(*m, 25, 50.0);
    for (float y : predict(*m, b)) {
      EXPECT_GE(y, 1.0f);
      EXPECT_LE(y, 5.0f);
    }
  }
}

TEST(ModelPredictTest, PredictEqualsEvalForwardAndIsDeterministic) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    ModelConfig c = small_config(k);
    c.n_users = 300;
    c.n_items = 400;
    c.dropout = {0.5f};
    c.embed_dropout = 0.5f;
    auto m = Model::create(c, 9);
    randomise(*m, 26, 1.0);
    Batch b = random_batch(300, 400, 10000, 7);  // more than predict's chunk of 4096
    const std::vector<float> p = predict(*m, b);
    EXPECT_EQ(run(*m, b, false, 1), p) << to_string(k);
    EXPECT_EQ(run(*m, b, false, 2), p) << to_string(k);  // no dropout in eval mode
    EXPECT_EQ(predict(*m, b), p) << to_string(k);
    // A pair's eval prediction does not depend on its batch.
    Batch first{{b.users[5000]}, {b.items[5000]}};
    EXPECT_NEAR(predict(*m, first)[0], p[5000], 1e-6f * (1 + std::fabs(p[5000])));

    std::vector<std::vector<float>> results(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < results.size(); ++t) threads.emplace_back([&, t] { results[t] = predict(*m, b); });
    for (std::thread& t : threads) t.join();
    for (const auto& r : results) EXPECT_EQ(r, p) << to_string(k);
  }
}

TEST(ModelPredictTest, NnDropoutIsSeededAndInverted) {
  // One hidden layer with dropout and a linear head: E[out] over masks equals the output without
  // dropout, because inverted dropout scales the kept units by 1 / (1 - p).
  ModelConfig c = small_config(ModelKind::nn);
  c.n_users = c.n_items = 20;
  c.hidden = {32};
  c.y_range = false;
  ModelConfig with_dropout = c;
  with_dropout.dropout = {0.5f};
  auto plain = Model::create(c, 10);
  auto dropped = Model::create(with_dropout, 10);
  randomise(*plain, 27, 1.0);
  randomise(*dropped, 27, 1.0);
  Batch b = random_batch(20, 20, 16, 8);
  const std::vector<float> expected = run(*plain, b, true);

  EXPECT_EQ(run(*dropped, b, true, 5), run(*dropped, b, true, 5));
  EXPECT_NE(run(*dropped, b, true, 5), run(*dropped, b, true, 6));
  constexpr int kSeeds = 4000;
  std::vector<double> sum(b.size(), 0.0), sq(b.size(), 0.0);
  for (int s = 0; s < kSeeds; ++s) {
    std::vector<float> out = run(*dropped, b, true, static_cast<uint64_t>(s));
    for (size_t r = 0; r < b.size(); ++r) {
      sum[r] += out[r];
      sq[r] += double{out[r]} * out[r];
    }
  }
  for (size_t r = 0; r < b.size(); ++r) {
    double mean = sum[r] / kSeeds;
    double sd = std::sqrt(std::max(0.0, sq[r] / kSeeds - mean * mean));
    EXPECT_GT(sd, 0.01) << r;  // the masks do vary
    EXPECT_NEAR(mean, expected[r], 5.0 * sd / std::sqrt(double{kSeeds}) + 1e-6) << r;
  }
}

TEST(ModelPredictTest, NnEmbeddingDropoutZeroesAboutPOfTheInputs) {
  // With only the embeddings and a linear head (no hidden layers, no y_range), the output is
  // linear in the mask: setting the head to pick one input and the embeddings to 1 exposes it.
  ModelConfig c = small_config(ModelKind::nn);
  c.hidden = {};
  c.y_range = false;
  c.embed_dropout = 0.3f;
  auto m = Model::create(c, 11);
  for (Parameter& p : m->parameters()) std::fill(p.value.begin(), p.value.end(), p.sparse ? 1.0f : 0.0f);
  param(*m, "layers.0.0.weight").value[4] = 1.0f;  // item factor 1
  Batch b = random_batch(5, 6, 20000, 9);
  std::vector<float> out = run(*m, b, true, 77);
  size_t zeros = 0;
  for (float y : out) {
    if (y == 0.0f)
      ++zeros;
    else
      EXPECT_FLOAT_EQ(y, 1.0f / 0.7f);
  }
  EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(out.size()), 0.3, 0.015);
}

TEST(ModelPredictTest, BadBatchesThrow) {
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    auto m = Model::create(small_config(k), 12);
    Batch bad_user{{0, 5}, {0, 0}}, bad_item{{0, 1}, {2, 6}};
    float out[2];
    try {
      m->predict(bad_user.users.data(), bad_user.items.data(), 2, out);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "model: user index 5 at row 1 is out of range (the model has 5 users)");
    }
    try {
      m->forward(bad_item.users.data(), bad_item.items.data(), 2, out, true);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "model: item index 6 at row 1 is out of range (the model has 6 items)");
    }
  }
  auto nn = Model::create(small_config(ModelKind::nn), 12);
  Batch one{{1}, {2}};
  float out;
  try {
    nn->forward(one.users.data(), one.items.data(), 1, &out, true);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model nn: a training batch of 1 row has no BatchNorm variance (use at least 2 rows)");
  }
  EXPECT_NO_THROW(nn->forward(one.users.data(), one.items.data(), 1, &out, false));
  // An empty batch is nothing to do in either mode.
  EXPECT_NO_THROW(nn->forward(nullptr, nullptr, 0, nullptr, true));
  Gradients g(nn->parameters());
  EXPECT_NO_THROW(nn->backward(nullptr, g));
}

}  // namespace
}  // namespace cofi
