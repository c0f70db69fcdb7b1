// The hybrid and content kinds in the model layer: their configs and features, the hybrid's
// gradients by central differences (every parameter, the feature tables included), its forward
// pass against a reference computed here in double, its side API (side vectors include the
// features, predict_row agrees with predict, Jacobians by central differences, score_items is the
// logit), the prediction of a row without an id signal moving with its features, and the content
// model's predictions against a hand-worked TF-IDF case.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/model/model.h"
#include "features_of.h"

namespace cofi {
namespace {

// Features from per-row lists of (feature, weight), over `names`.
using cofi::test::features_of;

ModelConfig hybrid_config(bool y_range = true, float id_dropout = 0.0f) {
  ModelConfig c;
  c.kind = ModelKind::hybrid;
  c.n_users = 4;
  c.n_items = 5;
  c.user_factors = c.item_factors = 3;
  c.user_features = 3;
  c.item_features = 4;
  c.y_range = y_range;
  c.y_min = 0.5f;
  c.y_max = 5.5f;
  c.id_dropout = id_dropout;
  return c;
}

// A hybrid with O(1) parameters, users and items with 0, 1 and 2 features (weights not 1), so
// that every path of the sums is exercised.
std::unique_ptr<Model> make_hybrid(bool y_range = true, unsigned seed = 3, float id_dropout = 0.0f) {
  auto m = Model::create(hybrid_config(y_range, id_dropout), 1);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& p : m->parameters())
    for (float& x : p.value) x = u(rng);
  m->set_features(Side::user, features_of({"gender=F", "gender=M", "age=18-24"},
                                          {{{0, 1.0f}, {2, 1.0f}}, {{1, 1.0f}}, {}, {{0, 0.5f}, {2, 2.0f}}}));
  m->set_features(
      Side::item,
      features_of({"genre=A", "genre=B", "genre=C", "decade=1990s"},
                  {{{0, 0.5f}, {1, 0.5f}}, {{2, 1.0f}, {3, 1.0f}}, {}, {{1, 1.0f}}, {{3, 0.25f}}}));
  return m;
}

const Parameter& param(const Model& m, const std::string& name) {
  for (const auto& p : m.parameters())
    if (p.name == name) return p;
  throw Error("test: no parameter " + name);
}

// The hybrid's prediction for (u, i), computed here in double from the parameters and features.
double reference(const Model& m, uint32_t u, uint32_t i) {
  const uint32_t k = m.config().user_factors;
  auto rep = [&](Side side, uint32_t row, std::vector<double>& v) {
    const bool user = side == Side::user;
    const Parameter& id = param(m, user ? "u_weight" : "i_weight");
    const Parameter& fe = param(m, user ? "u_feat_weight" : "i_feat_weight");
    const Parameter& fb = param(m, user ? "u_feat_bias" : "i_feat_bias");
    double bias = param(m, user ? "u_bias" : "i_bias").value[row];
    v.assign(k, 0.0);
    for (uint32_t c = 0; c < k; ++c) v[c] = id.row(row)[c];
    const Features& f = m.features(side);
    for (size_t j = 0; j < f.index_of(row).size(); ++j) {
      const uint32_t x = f.index_of(row)[j];
      const double w = f.weight_of(row)[j];
      for (uint32_t c = 0; c < k; ++c) v[c] += w * fe.row(x)[c];
      bias += w * fb.value[x];
    }
    return bias;
  };
  std::vector<double> a, b;
  double x = rep(Side::user, u, a) + rep(Side::item, i, b);
  for (uint32_t c = 0; c < k; ++c) x += a[c] * b[c];
  if (!m.config().y_range) return x;
  return 1.0 / (1.0 + std::exp(-x)) * (m.config().y_max - m.config().y_min) + m.config().y_min;
}

TEST(HybridConfig, KindsRoundTripAndValidate) {
  EXPECT_EQ(parse_model_kind("hybrid"), ModelKind::hybrid);
  EXPECT_EQ(parse_model_kind("content"), ModelKind::content);
  EXPECT_TRUE(uses_features(ModelKind::hybrid));
  EXPECT_FALSE(uses_features(ModelKind::dotbias));
  ModelConfig c = hybrid_config();
  EXPECT_NO_THROW(validate(c));
  c.item_factors = 2;
  EXPECT_THROW(validate(c), Error);
  c = hybrid_config();
  c.id_dropout = 1.0f;
  try {
    validate(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model hybrid: id_dropout must be in [0, 1), got 1");
  }
  ModelConfig d;
  d.n_users = d.n_items = 3;
  d.id_dropout = 0.5f;
  EXPECT_THROW(validate(d), Error);  // dotbias has no id dropout
  d.id_dropout = 0.0f;
  d.user_features = 2;
  try {
    validate(d);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model dotbias: takes no features, found 2 user and 0 item features");
  }
  ModelConfig content;
  content.kind = ModelKind::content;
  content.n_users = content.n_items = 3;
  try {
    validate(content);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model content: needs item features (genres, decades, tags or a feature file)");
  }
  content.item_features = 4;
  content.user_features = 1;
  try {
    validate(content);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model content: uses item features only, found 1 user features");
  }
}

TEST(HybridFeatures, SetFeaturesChecksThem) {
  auto m = make_hybrid();
  auto expect_error = [&](Side side, Features f, const std::string& message) {
    try {
      m->set_features(side, std::move(f));
      FAIL() << "no error for " << message;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  };
  expect_error(Side::user, features_of({"a", "b"}, {{}, {}, {}, {}}),
               "model hybrid: user features: 2 names, the config says 3");
  expect_error(Side::user, features_of({"a", "b", "c"}, {{}, {}, {}}),
               "model hybrid: user features: features for 3 rows, expected 4");
  expect_error(Side::user, features_of({"a", "b", "c"}, {{{3, 1.0f}}, {}, {}, {}}),
               "model hybrid: user features: row 0 has feature 3, beyond the 3 names");
  expect_error(Side::user, features_of({"a", "b", "c"}, {{}, {{1, 1.0f}, {0, 1.0f}}, {}, {}}),
               "model hybrid: user features: the features of row 1 are not ascending and unique");
  expect_error(Side::user, features_of({"a", "b", "c"}, {{}, {}, {{2, -1.0f}}, {}}),
               "model hybrid: user features: row 2 has feature weight -1 (weights must be finite and > 0)");
  expect_error(Side::item, features_of({"a", "a", "c", "d"}, {{}, {}, {}, {}, {}}),
               "model hybrid: item features: the feature \"a\" is named twice");
  auto dotbias = Model::create(
      [] {
        ModelConfig c;
        c.n_users = c.n_items = 2;
        return c;
      }(),
      1);
  EXPECT_THROW(dotbias->set_features(Side::user, features_of({}, {{}, {}})), Error);
  EXPECT_EQ(dotbias->features(Side::user).rows(), 0u);
}

TEST(HybridFeatures, NewModelHasPlaceholderNamesAndNoFeatures) {
  auto m = Model::create(hybrid_config(), 1);
  const Features& f = m->features(Side::item);
  ASSERT_EQ(f.rows(), 5u);
  EXPECT_EQ(f.names, (std::vector<std::string>{"feature 0", "feature 1", "feature 2", "feature 3"}));
  EXPECT_EQ(f.entries(), 0u);
  std::vector<std::string> names;
  for (const auto& p : m->parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"u_weight", "i_weight", "u_bias", "i_bias", "u_feat_weight",
                                             "i_feat_weight", "u_feat_bias", "i_feat_bias"}));
  EXPECT_EQ(param(*m, "u_feat_weight").rows, 3u);
  EXPECT_EQ(param(*m, "i_feat_bias").rows, 4u);
  EXPECT_FALSE(param(*m, "i_feat_weight").sparse);  // dense: every step updates it
}

TEST(HybridPredict, MatchesTheReferenceInBothModes) {
  for (bool y_range : {true, false}) {
    auto m = make_hybrid(y_range);
    std::vector<uint32_t> users, items;
    for (uint32_t u = 0; u < 4; ++u)
      for (uint32_t i = 0; i < 5; ++i) {
        users.push_back(u);
        items.push_back(i);
      }
    std::vector<float> eval(users.size()), train(users.size());
    m->predict(users.data(), items.data(), users.size(), eval.data());
    m->forward(users.data(), items.data(), users.size(), train.data(), true, 0);
    for (size_t b = 0; b < users.size(); ++b) {
      EXPECT_NEAR(eval[b], reference(*m, users[b], items[b]), 2e-5 * (1 + std::fabs(eval[b])))
          << users[b] << "," << items[b];
      EXPECT_EQ(eval[b], train[b]);
    }
  }
}

// backward() against central differences of loss = sum_b w_b pred_b, for every element of every
// parameter, the dense feature tables included. A batch with repeated users and items (and a user
// and an item with no features) covers the accumulation of rows and features shared in a batch.
// With id dropout the masks depend on the batch's seed only, so every evaluation drops the same ids.
TEST(HybridGrad, MatchesCentralDifferences) {
  for (auto [y_range, id_dropout] : {std::pair{true, 0.0f}, std::pair{false, 0.0f}, std::pair{true, 0.5f}}) {
    auto m = make_hybrid(y_range, 7, id_dropout);
    const std::vector<uint32_t> users{0, 1, 0, 3, 2, 3, 0};
    const std::vector<uint32_t> items{1, 1, 3, 0, 2, 4, 1};
    const size_t n = users.size();
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> w(n);
    for (float& x : w) x = u(rng);
    auto loss = [&] {
      std::vector<float> out(n);
      m->forward(users.data(), items.data(), n, out.data(), true, 12345);
      double s = 0;
      for (size_t b = 0; b < n; ++b) s += double{w[b]} * out[b];
      return s;
    };
    Gradients g(m->parameters());
    loss();
    m->backward(w.data(), g);
    size_t checked = 0, nonzero = 0;
    for (size_t pi = 0; pi < m->parameters().size(); ++pi) {
      Parameter& p = m->parameters()[pi];
      std::vector<double> analytic(p.size(), 0.0);
      if (p.sparse) {
        const SparseGrad& s = g.sparse[pi];
        for (size_t slot = 0; slot < s.rows().size(); ++slot)
          for (uint32_t c = 0; c < p.cols; ++c)
            analytic[size_t{s.rows()[slot]} * p.cols + c] = s.grad(slot)[c];
      } else {
        ASSERT_EQ(g.dense[pi].size(), p.size()) << p.name;
        analytic.assign(g.dense[pi].begin(), g.dense[pi].end());
      }
      for (size_t e = 0; e < p.size(); ++e) {
        const float original = p.value[e];
        const auto up = static_cast<float>(original + 3e-3), down = static_cast<float>(original - 3e-3);
        p.value[e] = up;
        const double plus = loss();
        p.value[e] = down;
        const double minus = loss();
        p.value[e] = original;
        const double fd = (plus - minus) / (double{up} - double{down});
        EXPECT_NEAR(analytic[e], fd, 2e-3 * (1 + std::fabs(fd)))
            << (y_range ? "" : "no y_range: ") << p.name << "[" << e / p.cols << "][" << e % p.cols << "]";
        ++checked;
        nonzero += analytic[e] != 0.0;
      }
    }
    EXPECT_GT(nonzero, checked / 3) << "most gradients are zero: the check proves little";
    // The feature tables get gradients (row 1 of i_feat_weight: items 0 and 3 have genre B).
    EXPECT_NE(g.dense[5][1 * 3], 0.0f);
    if (id_dropout > 0) {
      // Some pairs lost an id part: fewer id rows touched than without dropout (7 pairs, 4
      // users, 5 items), and the same seed gives the same predictions again.
      EXPECT_LT(g.sparse[0].rows().size() + g.sparse[1].rows().size(), 4u + 5u);
      std::vector<float> a(n), b(n), eval(n);
      m->forward(users.data(), items.data(), n, a.data(), true, 99);
      m->forward(users.data(), items.data(), n, b.data(), true, 99);
      m->predict(users.data(), items.data(), n, eval.data());
      EXPECT_EQ(a, b);
      EXPECT_NE(a, eval);  // eval mode keeps every id part
    }
  }
}

TEST(HybridSide, SideVectorsIncludeFeaturesAndPredictRowAgrees) {
  auto m = make_hybrid();
  ASSERT_EQ(m->side_size(Side::user), 4u);  // k factors, then the bias
  ASSERT_EQ(m->side_size(Side::item), 4u);
  for (Side side : {Side::user, Side::item}) {
    const uint32_t rows = side == Side::user ? 4 : 5, others_n = side == Side::user ? 5 : 4;
    std::vector<uint32_t> others;
    for (uint32_t o = 0; o < others_n; ++o) others.push_back(o);
    for (uint32_t r = 0; r < rows; ++r) {
      std::vector<float> v(4), from_row(others_n), direct(others_n);
      m->side_vector(side, r, v.data());
      // The vector is the id rows plus the feature part.
      std::vector<float> part(4);
      const Features& f = m->features(side);
      m->feature_vector(side, f.index_of(r), f.weight_of(r), part.data());
      const Parameter& id = param(*m, side == Side::user ? "u_weight" : "i_weight");
      const Parameter& bias = param(*m, side == Side::user ? "u_bias" : "i_bias");
      for (uint32_t c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(v[c], id.row(r)[c] + part[c]);
      EXPECT_FLOAT_EQ(v[3], bias.value[r] + part[3]);
      m->predict_row(side, v.data(), others.data(), others_n, from_row.data(), nullptr);
      for (uint32_t o = 0; o < others_n; ++o) {
        const uint32_t u = side == Side::user ? r : o, i = side == Side::user ? o : r;
        m->predict(&u, &i, 1, &direct[o]);
        EXPECT_NEAR(from_row[o], direct[o], 1e-5)
            << (side == Side::user ? "user " : "item ") << r << " other " << o;
      }
    }
  }
}

TEST(HybridSide, JacobianMatchesCentralDifferences) {
  auto m = make_hybrid();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (Side side : {Side::user, Side::item}) {
    const uint32_t others_n = side == Side::user ? 5 : 4;
    std::vector<uint32_t> others;
    for (uint32_t o = 0; o < others_n; ++o) others.push_back(o);
    std::vector<float> v(4), f0(others_n), jac(others_n * 4);
    for (float& x : v) x = u(rng);
    m->predict_row(side, v.data(), others.data(), others_n, f0.data(), jac.data());
    for (size_t c = 0; c < 4; ++c) {
      std::vector<float> plus = v, minus = v, fp(others_n), fm(others_n);
      plus[c] += 4e-3f;
      minus[c] -= 4e-3f;
      const double step = static_cast<double>(plus[c]) - minus[c];
      m->predict_row(side, plus.data(), others.data(), others_n, fp.data(), nullptr);
      m->predict_row(side, minus.data(), others.data(), others_n, fm.data(), nullptr);
      for (size_t b = 0; b < others_n; ++b) {
        const double central = (static_cast<double>(fp[b]) - fm[b]) / step;
        EXPECT_NEAR(jac[b * 4 + c], central, 1e-3 * (1 + std::fabs(central)));
      }
    }
  }
}

TEST(HybridSide, ScoreItemsIsTheLogitAndRepresentationsIncludeFeatures) {
  auto m = make_hybrid();
  std::vector<float> users(2 * 4);
  m->side_vector(Side::user, 0, users.data());
  m->side_vector(Side::user, 3, users.data() + 4);
  std::vector<float> scores(2 * 4), no_bias(2 * 4);
  m->score_items(users.data(), 2, 1, 5, scores.data(), true);
  m->score_items(users.data(), 2, 1, 5, no_bias.data(), false);
  for (size_t r = 0; r < 2; ++r)
    for (uint32_t i = 1; i < 5; ++i) {
      const uint32_t u = r == 0 ? 0 : 3;
      // The prediction is sigmoid(score) * 5 + 0.5.
      const double expect = reference(*m, u, i);
      const double logit = scores[r * 4 + i - 1];
      EXPECT_NEAR(1.0 / (1.0 + std::exp(-logit)) * 5.0 + 0.5, expect, 1e-5);
      std::vector<float> item(4);
      m->side_vector(Side::item, i, item.data());
      EXPECT_NEAR(scores[r * 4 + i - 1] - no_bias[r * 4 + i - 1], item[3], 1e-5);  // the item's whole bias
    }
  ASSERT_EQ(m->representation_size(Side::item), 3u);
  std::vector<float> rep(3), vec(4);
  m->representation(Side::item, 1, rep.data());
  m->side_vector(Side::item, 1, vec.data());
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(rep[c], vec[c]);  // the same sums, in another order
  EXPECT_THROW(m->representation(Side::item, 5, rep.data()), Error);
}

// An item whose id rows carry nothing (as an item without ratings, whose rows training never
// moves from ~0): its prediction is its features', and swapping its genre for one with a larger
// embedding along the user's taste raises it.
TEST(HybridColdStart, APredictionMovesWithTheItemsGenres) {
  auto m = make_hybrid();
  // Item 2 is cold: zero id rows.
  for (uint32_t c = 0; c < 3; ++c) const_cast<Parameter&>(param(*m, "i_weight")).row(2)[c] = 0.0f;
  const_cast<Parameter&>(param(*m, "i_bias")).value[2] = 0.0f;
  auto predict = [&](uint32_t genre) {
    Features f = m->features(Side::item);
    // Rebuild with item 2 given only `genre`.
    std::vector<std::vector<std::pair<uint32_t, float>>> rows(5);
    for (uint32_t r = 0; r < 5; ++r)
      for (size_t j = 0; j < f.index_of(r).size(); ++j)
        rows[r].push_back({f.index_of(r)[j], f.weight_of(r)[j]});
    rows[2] = {{genre, 1.0f}};
    m->set_features(Side::item, features_of(f.names, rows));
    uint32_t u = 1, i = 2;
    float out = 0;
    m->predict(&u, &i, 1, &out);
    return out;
  };
  const float with_a = predict(0), with_c = predict(2);
  EXPECT_NE(with_a, with_c);
  // Each equals the model evaluated on the feature alone.
  std::vector<float> user(4), part(4);
  m->side_vector(Side::user, 1, user.data());
  for (uint32_t genre : {0u, 2u}) {
    const uint32_t idx = genre;
    const float w = 1.0f;
    m->feature_vector(Side::item, std::span<const uint32_t>(&idx, 1), std::span<const float>(&w, 1),
                      part.data());
    double x = part[3] + user[3];
    for (int c = 0; c < 3; ++c) x += double{user[c]} * part[c];
    const double expect = 1.0 / (1.0 + std::exp(-x)) * 5.0 + 0.5;
    EXPECT_NEAR(genre == 0 ? with_a : with_c, expect, 1e-5);
  }
  // Raising genre C's embedding along the user's factors and its bias raises the prediction.
  Parameter& fe = const_cast<Parameter&>(param(*m, "i_feat_weight"));
  for (int c = 0; c < 3; ++c) fe.row(2)[c] += 0.5f * user[c];
  const_cast<Parameter&>(param(*m, "i_feat_bias")).value[2] += 0.5f;
  EXPECT_GT(predict(2), with_c);
}

// ---- content ----------------------------------------------------------------------------------

// Three items over features {action, comedy, drama} with hand-picked idf (1, 2, 1) and one user
// with profile (0.3, 0, -0.4) and mean 3.5:
//   item 0: action 1            -> tfidf (1, 0, 0)       unit (1, 0, 0)        cos part 0.3
//   item 1: comedy 0.5, drama 0.5 -> (0, 1, 0.5) / sqrt(1.25)                    -0.2 / 1.1180 = -0.178885
//   item 2: none                -> no profile            prediction = the mean
TEST(ContentModel, PredictionsOfAHandWorkedCase) {
  ModelConfig c;
  c.kind = ModelKind::content;
  c.n_users = 1;
  c.n_items = 3;
  c.item_features = 3;
  auto m = Model::create(c, 1);
  m->set_features(Side::item,
                  features_of({"action", "comedy", "drama"}, {{{0, 1.0f}}, {{1, 0.5f}, {2, 0.5f}}, {}}));
  auto& params = m->parameters();
  ASSERT_EQ(params.size(), 3u);
  params[0].value = {0.3f, 0.0f, -0.4f};  // u_profile
  params[1].value = {3.5f};               // u_mean
  params[2].value = {1.0f, 2.0f, 1.0f};   // idf
  const uint32_t users[3] = {0, 0, 0}, items[3] = {0, 1, 2};
  float out[3];
  m->predict(users, items, 3, out);
  EXPECT_NEAR(out[0], 3.8, 1e-6);
  EXPECT_NEAR(out[1], 3.5 - 0.2 / std::sqrt(1.25), 1e-6);
  EXPECT_NEAR(out[2], 3.5, 1e-6);
  // The user's vector is [profile, mean]; predict_row on it agrees, with the item profile as its
  // Jacobian.
  ASSERT_EQ(m->side_size(Side::user), 4u);
  ASSERT_EQ(m->side_size(Side::item), 0u);
  std::vector<float> v(4), row(3), jac(12);
  m->side_vector(Side::user, 0, v.data());
  m->predict_row(Side::user, v.data(), items, 3, row.data(), jac.data());
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(row[i], out[i]);
  EXPECT_NEAR(jac[4 + 1], 1.0 / std::sqrt(1.25), 1e-6);
  EXPECT_NEAR(jac[4 + 2], 0.5 / std::sqrt(1.25), 1e-6);
  EXPECT_EQ(jac[4 + 3], 1.0f);
  EXPECT_EQ(jac[8 + 0], 0.0f);
  // Scores rank by the prediction; representations: the unit item profile.
  std::vector<float> scores(3);
  m->score_items(v.data(), 1, 0, 3, scores.data(), true);
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(scores[i], out[i]);
  std::vector<float> rep(3);
  m->representation(Side::item, 1, rep.data());
  EXPECT_NEAR(rep[1], 1.0 / std::sqrt(1.25), 1e-6);
  EXPECT_NEAR(rep[2], 0.5 / std::sqrt(1.25), 1e-6);
  EXPECT_THROW(m->embedding(Side::item), Error);
  EXPECT_THROW(m->predict_row(Side::item, v.data(), users, 1, row.data(), nullptr), Error);
  Gradients g(m->parameters());
  EXPECT_THROW(m->forward(users, items, 3, out, true, 0), Error);
}

}  // namespace
}  // namespace cofi
