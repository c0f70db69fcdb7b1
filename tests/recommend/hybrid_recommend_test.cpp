// The recommend layer with hybrid and content models: fold-in of a hybrid newcomer holds their
// feature part fixed (a features-only newcomer is their features; with ratings the fit is a
// stationary point of the ridge toward the features), the calibrated l2 uses the id part,
// explanations split the rated items' share of the id part exactly for a linear model, similar
// items compare representations (a cold item is like the items that share its genre), content
// models recommend by cosine, and update refuses kinds whose new rows would need side data.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/recommend/attributes.h"
#include "cofi/recommend/explain.h"
#include "cofi/recommend/fold_in.h"
#include "cofi/recommend/recommender.h"
#include "cofi/recommend/similar.h"
#include "cofi/recommend/update.h"
#include "features_of.h"

namespace {

using namespace cofi;

using cofi::test::features_of;

// A hybrid of 6 users (feature F or M) and 12 items (genre A for even items, B for odd) with
// O(1) parameters; items 10 and 11 are cold (zero id rows).
SavedModel hybrid(bool y_range) {
  ModelConfig c;
  c.kind = ModelKind::hybrid;
  c.n_users = 6;
  c.n_items = 12;
  c.user_factors = c.item_factors = 3;
  c.user_features = 2;
  c.item_features = 2;
  c.y_range = y_range;
  c.y_min = 0.5f;
  c.y_max = 5.5f;
  SavedModel m;
  m.model = Model::create(c, 1);
  std::mt19937 rng(4);
  std::normal_distribution<float> n(0, 0.5f);
  for (auto& p : m.model->parameters())
    for (float& v : p.value) v = n(rng);
  for (const char* name : {"i_weight", "i_bias"})
    for (auto& p : m.model->parameters())
      if (p.name == name)
        for (uint32_t r : {10u, 11u}) std::fill(p.row(r), p.row(r) + p.cols, 0.0f);
  std::vector<std::vector<std::pair<uint32_t, float>>> users(6), items(12);
  for (uint32_t u = 0; u < 6; ++u) users[u] = {{u % 2, 1.0f}};
  for (uint32_t i = 0; i < 12; ++i) items[i] = {{i % 2, 1.0f}};
  m.model->set_features(Side::user, features_of({"F", "M"}, users));
  m.model->set_features(Side::item, features_of({"A", "B"}, items));
  std::vector<uint32_t> uid(6), iid(12);
  for (uint32_t k = 0; k < 6; ++k) uid[k] = k + 1;
  for (uint32_t k = 0; k < 12; ++k) iid[k] = k + 1;
  m.users = IdMap::from_sorted_ints(uid);
  m.items = IdMap::from_sorted_ints(iid);
  // Each user rated items 0..7 except their own index.
  m.history.offsets.push_back(0);
  for (uint32_t u = 0; u < 6; ++u) {
    for (uint32_t i = 0; i < 8; ++i)
      if (i != u) {
        m.history.items.push_back(i);
        m.history.ratings.push_back(static_cast<float>(1 + (u + i) % 5));
      }
    m.history.offsets.push_back(m.history.items.size());
  }
  return m;
}

TEST(HybridFoldIn, AFeaturesOnlyNewcomerIsTheirFeatures) {
  SavedModel m = hybrid(true);
  Recommender rec(m);
  const uint32_t female = 0;
  const float one = 1.0f;
  Newcomer who = rec.fold_in({}, {}, std::span<const uint32_t>(&female, 1), std::span<const float>(&one, 1));
  std::vector<float> part(4);
  m.model->feature_vector(Side::user, std::span<const uint32_t>(&female, 1), std::span<const float>(&one, 1),
                          part.data());
  EXPECT_EQ(who.prior, part);
  EXPECT_EQ(who.fit.vector, part);
  // Their recommendations rank items by the model's score for that vector.
  RecommendOptions o;
  o.n = 12;
  auto recs = rec.for_newcomer(who, o);
  ASSERT_EQ(recs.size(), 12u);
  std::vector<float> scores(12);
  m.model->score_items(part.data(), 1, 0, 12, scores.data());
  for (size_t r = 1; r < recs.size(); ++r) EXPECT_GE(scores[recs[r - 1].item], scores[recs[r].item]);
  // A dotbias model takes no user features.
  SavedModel d;
  ModelConfig c;
  c.n_users = 2;
  c.n_items = 3;
  c.user_factors = c.item_factors = 2;
  d.model = Model::create(c, 1);
  d.users = IdMap::from_sorted_ints({1, 2});
  d.items = IdMap::from_sorted_ints({1, 2, 3});
  Recommender drec(d);
  EXPECT_THROW(drec.fold_in({}, {}, std::span<const uint32_t>(&female, 1), std::span<const float>(&one, 1)),
               Error);
}

TEST(HybridFoldIn, RatingsAndFeaturesReachTheRidgeTowardTheFeatures) {
  for (bool y_range : {false, true}) {
    SavedModel m = hybrid(y_range);
    const std::vector<uint32_t> items{0, 3, 5, 10};
    const std::vector<float> ratings{5, 1, 2, 4};
    const uint32_t male = 1;
    const float one = 1.0f;
    FoldInOptions o;
    o.l2 = 0.7;
    o.prior.resize(4);
    m.model->feature_vector(Side::user, std::span<const uint32_t>(&male, 1), std::span<const float>(&one, 1),
                            o.prior.data());
    FoldInResult r = fold_in(*m.model, Side::user, items.data(), ratings.data(), items.size(), o);
    EXPECT_TRUE(r.converged);
    // The gradient of sum (f - y)^2 + l2 |x - p|^2 vanishes.
    std::vector<float> pred(4), jac(16);
    m.model->predict_row(Side::user, r.vector.data(), items.data(), 4, pred.data(), jac.data());
    for (size_t c = 0; c < 4; ++c) {
      double g = 2 * o.l2 * (static_cast<double>(r.vector[c]) - o.prior[c]);
      for (size_t j = 0; j < 4; ++j) g += 2 * (static_cast<double>(pred[j]) - ratings[j]) * jac[j * 4 + c];
      EXPECT_NEAR(g, 0.0, 1e-3) << "component " << c;
    }
    // Without the prior the same ratings land elsewhere: the features count.
    FoldInOptions plain = o;
    plain.prior.clear();
    EXPECT_NE(fold_in(*m.model, Side::user, items.data(), ratings.data(), 4, plain).vector, r.vector);
    o.prior.resize(3);
    EXPECT_THROW(fold_in(*m.model, Side::user, items.data(), ratings.data(), 4, o), Error);

    // Linear model: the explanations' effects add up to the id part's share, J_item . (x - p).
    if (!y_range) {
      auto parts = explain_prediction(*m.model, r.vector.data(), items, ratings, 7, o.l2, o.prior.data());
      std::vector<float> p1(1), j1(4);
      const uint32_t item = 7;
      m.model->predict_row(Side::user, r.vector.data(), &item, 1, p1.data(), j1.data());
      std::vector<float> prior(4);
      m.model->feature_vector(Side::user, std::span<const uint32_t>(&male, 1),
                              std::span<const float>(&one, 1), prior.data());
      double expect = 0, sum = 0;
      for (size_t c = 0; c < 4; ++c) expect += double{j1[c]} * (r.vector[c] - prior[c]);
      for (const auto& part : parts) sum += part.effect;
      EXPECT_NEAR(sum, expect, 1e-4);
    }
  }
}

TEST(HybridFoldIn, CalibrationUsesTheIdPart) {
  SavedModel m = hybrid(true);
  // The formula of calibrate_fold_in_l2 with x the id part, over every user (all have >= 5).
  std::vector<double> values;
  for (uint32_t u = 0; u < 6; ++u) {
    auto items = m.history.items_of(u);
    auto ratings = m.history.ratings_of(u);
    std::vector<float> x(4), part(4), pred(items.size()), jac(items.size() * 4);
    m.model->side_vector(Side::user, u, x.data());
    const Features& f = m.model->features(Side::user);
    m.model->feature_vector(Side::user, f.index_of(u), f.weight_of(u), part.data());
    m.model->predict_row(Side::user, x.data(), items.data(), items.size(), pred.data(), jac.data());
    double num = 0, norm = 0;
    for (size_t j = 0; j < items.size(); ++j) {
      double jx = 0;
      for (size_t c = 0; c < 4; ++c) jx += double{jac[j * 4 + c]} * (x[c] - part[c]);
      num += (double{pred[j]} - ratings[j]) * jx;
    }
    for (size_t c = 0; c < 4; ++c) norm += (double{x[c]} - part[c]) * (double{x[c]} - part[c]);
    values.push_back(-num / norm);
  }
  std::nth_element(values.begin(), values.begin() + 3, values.end());
  EXPECT_NEAR(calibrate_fold_in_l2(*m.model, m.history), std::max(values[3], 1e-3), 1e-9);
}

TEST(HybridAttributes, NamesBecomeFeaturesWeightedAsTheModelsUsersWere) {
  SavedModel m = hybrid(true);
  // The fixture's users have one feature of weight 1: rows that sum to 1, so two names weigh 1/2.
  const std::vector<std::string> both = {"M", "F", "", "M"};
  UserAttributes a = user_attributes(*m.model, both, "--attributes");
  EXPECT_EQ(a.index, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(a.weight, (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(split_attributes("F,,M"), (std::vector<std::string>{"F", "", "M"}));
  // Users whose rows do not sum to 1 (weights of 1 per feature, two features): 1 each.
  std::vector<std::vector<std::pair<uint32_t, float>>> users(6, {{0, 1.0f}, {1, 1.0f}});
  m.model->set_features(Side::user, features_of({"F", "M"}, users));
  a = user_attributes(*m.model, both, "--attributes");
  EXPECT_EQ(a.weight, (std::vector<float>{1.0f, 1.0f}));
  try {
    user_attributes(*m.model, std::vector<std::string>{"X"}, "attributes");
    FAIL() << "an unknown name was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "attributes: the model has no user feature \"X\" (it has 2: F, M)");
  }
}

TEST(HybridSimilar, AColdItemIsLikeTheItemsOfItsGenre) {
  SavedModel m = hybrid(true);
  // Cold item 10 (genre A, zero id rows) is represented by genre A's embedding row exactly.
  std::vector<float> rep(3);
  m.model->representation(Side::item, 10, rep.data());
  for (const auto& p : m.model->parameters()) {
    if (p.name != "i_feat_weight") continue;
    for (int c = 0; c < 3; ++c) EXPECT_EQ(rep[c], p.row(0)[c]);
  }
  auto list = most_similar(*m.model, Side::item, 10, 11);
  ASSERT_EQ(list.size(), 11u);
  for (const auto& [sim, row] : list) EXPECT_LE(sim, 1.0f + 1e-6f);
  // Another cold item of genre A (item 8, its id rows zeroed) is a perfect match for item 10.
  for (auto& p : m.model->parameters())
    if (p.name == "i_weight" || p.name == "i_bias") std::fill(p.row(8), p.row(8) + p.cols, 0.0f);
  list = most_similar(*m.model, Side::item, 10, 3);
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front().second, 8u);
  EXPECT_NEAR(list.front().first, 1.0f, 1e-6);
}

TEST(ContentRecommend, RanksByCosineAndFoldsInOverProfiles) {
  ModelConfig c;
  c.kind = ModelKind::content;
  c.n_users = 2;
  c.n_items = 4;
  c.item_features = 2;
  SavedModel m;
  m.model = Model::create(c, 1);
  m.model->set_features(
      Side::item, features_of({"a", "b"}, {{{0, 1.0f}}, {{1, 1.0f}}, {{0, 1.0f}, {1, 1.0f}}, {{0, 1.0f}}}));
  auto& p = m.model->parameters();
  p[0].value = {1.0f, -0.5f, 0.0f, 0.0f};  // user 0 likes a, dislikes b
  p[1].value = {3.0f, 3.5f};
  m.users = IdMap::from_sorted_ints({1, 2});
  m.items = IdMap::from_sorted_ints({1, 2, 3, 4});
  m.history.offsets = {0, 1, 1};
  m.history.items = {0};
  m.history.ratings = {5};
  Recommender rec(m);
  RecommendOptions o;
  o.n = 3;
  auto recs = rec.for_user(0, o);  // item 0 rated: left out
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].item, 3u);  // pure a: cosine 1 * 1
  EXPECT_EQ(recs[1].item, 2u);  // a and b: (1 - 0.5) / sqrt 2
  EXPECT_EQ(recs[2].item, 1u);
  EXPECT_NEAR(recs[0].prediction, 4.0, 1e-6);
  // A newcomer who liked item 3 (a) and disliked item 1 (b) gets a profile toward a.
  const std::vector<uint32_t> items{3, 1};
  const std::vector<float> ratings{5, 1};
  Newcomer who = rec.fold_in(items, ratings);
  EXPECT_GT(who.fit.vector[0], who.fit.vector[1]);
  // Similar items by their TF-IDF profiles: item 3 is item 0.
  auto sim = most_similar(*m.model, Side::item, 0, 1);
  ASSERT_EQ(sim.size(), 1u);
  EXPECT_EQ(sim.front().second, 3u);
  // No update for kinds whose new rows need side data.
  Ratings fresh;
  fresh.user = Column<uint32_t>(std::vector<uint32_t>{0});
  fresh.item = Column<uint32_t>(std::vector<uint32_t>{0});
  fresh.rating = Column<float>(std::vector<float>{4});
  fresh.users = IdMap::from_sorted_ints({9});
  fresh.items = IdMap::from_sorted_ints({1});
  try {
    update_model(m, fresh, nullptr, UpdateOptions{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "update: a content model cannot be updated yet (its new users and items would need their features); "
        "retrain it");
  }
}

}  // namespace
