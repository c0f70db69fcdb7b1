// Cold-start evaluation on a hand-made hybrid model: which pairs are warm, cold-user, cold-item or
// both cold (rows without training ratings and ids the model lacks), the model's predictions
// (with evaluate_ratings' fallbacks), and the three baselines against values computed here from
// their definitions in cofi/eval/cold_start.h.
#include "cofi/eval/cold_start.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "features_of.h"

namespace cofi {
namespace {

using cofi::test::features_of;

// Users 10, 11 (warm; F and M) and 12 (cold, F); items 20, 21 (warm; genres A and B) and 22
// (cold, A). Training ratings: user 10 gave item 20 a 4 and item 21 a 2; user 11 gave 5 and 3.
SavedModel model_with_history() {
  ModelConfig c;
  c.kind = ModelKind::hybrid;
  c.n_users = 3;
  c.n_items = 3;
  c.user_factors = c.item_factors = 2;
  c.user_features = 2;
  c.item_features = 2;
  SavedModel m;
  m.model = Model::create(c, 4);
  m.model->set_features(Side::user, features_of({"F", "M"}, {{{0, 1.0f}}, {{1, 1.0f}}, {{0, 1.0f}}}));
  m.model->set_features(Side::item, features_of({"A", "B"}, {{{0, 1.0f}}, {{1, 1.0f}}, {{0, 1.0f}}}));
  m.users = IdMap::from_sorted_ints({10, 11, 12});
  m.items = IdMap::from_sorted_ints({20, 21, 22});
  m.history.offsets = {0, 2, 4, 4};
  m.history.items = {0, 1, 0, 1};
  m.history.ratings = {4, 2, 5, 3};
  m.record.rating_mean = 3.5;
  return m;
}

// Test pairs by raw id (their own id maps: users 10, 11, 12, 99; items 20, 21, 22).
Ratings test_ratings() {
  Ratings t;
  t.users = IdMap::from_sorted_ints({10, 11, 12, 99});
  t.items = IdMap::from_sorted_ints({20, 21, 22});
  // (10, 22) cold item; (12, 20) cold user; (12, 22) both; (11, 21) warm; (99, 20) unseen user.
  t.user = Column<uint32_t>(std::vector<uint32_t>{0, 2, 2, 1, 3});
  t.item = Column<uint32_t>(std::vector<uint32_t>{2, 0, 2, 1, 0});
  t.rating = Column<float>(std::vector<float>{4, 5, 3, 3, 4});
  return t;
}

TEST(ColdStart, SplitsPairsAndComputesTheBaselines) {
  const SavedModel m = model_with_history();
  const Ratings t = test_ratings();
  const ColdStartReport r = evaluate_cold_start(m, t, 1);
  EXPECT_EQ(r.warm.model.n, 1u);
  EXPECT_EQ(r.cold_users.model.n, 2u);
  EXPECT_EQ(r.cold_items.model.n, 1u);
  EXPECT_EQ(r.both_cold.model.n, 1u);
  EXPECT_EQ(r.cold_user_count, 2u);  // 12 and 99
  EXPECT_EQ(r.cold_item_count, 1u);
  EXPECT_TRUE(r.user_groups);
  EXPECT_TRUE(r.item_groups);

  // The baselines from their definitions: mu, then three rounds of alternating ridge biases.
  const double mu = 14.0 / 4;
  double bu[2] = {0, 0}, bi[2] = {0, 0};
  const int user[4] = {0, 0, 1, 1}, item[4] = {0, 1, 0, 1};
  const double y[4] = {4, 2, 5, 3};
  for (int round = 0; round < 3; ++round) {
    double si[2] = {0, 0}, su[2] = {0, 0};
    for (int k = 0; k < 4; ++k) si[item[k]] += y[k] - mu - bu[user[k]];
    for (int i = 0; i < 2; ++i) bi[i] = si[i] / (25 + 2);
    for (int k = 0; k < 4; ++k) su[user[k]] += y[k] - mu - bi[item[k]];
    for (int u = 0; u < 2; ++u) bu[u] = su[u] / (10 + 2);
  }
  // Global mean.
  EXPECT_NEAR(r.warm.global_mean.rmse, std::fabs(mu - 3), 1e-12);
  EXPECT_NEAR(r.cold_users.global_mean.mse, ((mu - 5) * (mu - 5) + (mu - 4) * (mu - 4)) / 2, 1e-12);
  // Bias only: warm (11, 21) mu + bu + bi; cold users get the item's bias; the cold item the user's.
  EXPECT_NEAR(r.warm.bias_only.rmse, std::fabs(mu + bu[1] + bi[1] - 3), 1e-12);
  EXPECT_NEAR(r.cold_users.bias_only.mse, (std::pow(mu + bi[0] - 5, 2) + std::pow(mu + bi[0] - 4, 2)) / 2,
              1e-12);
  EXPECT_NEAR(r.cold_items.bias_only.rmse, std::fabs(mu + bu[0] - 4), 1e-12);
  EXPECT_NEAR(r.both_cold.bias_only.rmse, std::fabs(mu - 3), 1e-12);
  // Feature groups: cold user 12 is F like user 10 (mean 3); user 99 has no features (mu); cold
  // item 22 is A like item 20 (mean 4.5); both cold: the mean of 3 and 4.5; warm: bias only.
  EXPECT_NEAR(r.cold_users.feature_group.mse, (std::pow(3.0 - 5, 2) + std::pow(mu - 4, 2)) / 2, 1e-12);
  EXPECT_NEAR(r.cold_items.feature_group.rmse, 0.5, 1e-12);
  EXPECT_NEAR(r.both_cold.feature_group.rmse, std::fabs(3.75 - 3), 1e-12);
  EXPECT_NEAR(r.warm.feature_group.rmse, r.warm.bias_only.rmse, 1e-12);

  // The model's predictions: known rows directly, the unseen user through the average row.
  const std::vector<float> pred = predict_test(m, t, 1);
  ASSERT_EQ(pred.size(), 5u);
  const uint32_t users[4] = {0, 2, 2, 1}, items[4] = {2, 0, 2, 1};
  for (int k = 0; k < 4; ++k) {
    float p = 0;
    m.model->predict(&users[k], &items[k], 1, &p);
    EXPECT_EQ(pred[static_cast<size_t>(k)], p) << k;
  }
  auto avg = with_average_rows(*m.model);
  const uint32_t avg_user = 3, item0 = 0;
  float p = 0;
  avg->predict(&avg_user, &item0, 1, &p);
  EXPECT_EQ(pred[4], p);
  EXPECT_NEAR(r.cold_users.model.mse,
              (std::pow(double{pred[1]} - 5, 2) + std::pow(double{pred[4]} - 4, 2)) / 2, 1e-9);
}

TEST(ColdStart, NeedsTheHistoryAndReportsNoGroupsWithoutFeatures) {
  SavedModel m = model_with_history();
  m.history = {};
  EXPECT_THROW(evaluate_cold_start(m, test_ratings()), Error);
  // A dotbias model has no features: the group baseline falls back to mu and is marked absent.
  SavedModel d;
  ModelConfig c;
  c.n_users = 3;
  c.n_items = 3;
  c.user_factors = c.item_factors = 2;
  d.model = Model::create(c, 1);
  d.users = IdMap::from_sorted_ints({10, 11, 12});
  d.items = IdMap::from_sorted_ints({20, 21, 22});
  d.history = model_with_history().history;
  const ColdStartReport r = evaluate_cold_start(d, test_ratings());
  EXPECT_FALSE(r.user_groups);
  EXPECT_FALSE(r.item_groups);
  EXPECT_NEAR(r.cold_items.feature_group.rmse, std::fabs(3.5 - 4), 1e-12);
}

}  // namespace
}  // namespace cofi
