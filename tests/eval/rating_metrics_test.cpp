// Rating metrics: MSE, RMSE and MAE worked by hand on a tiny dotbias model whose parameters are
// set here; unseen users and items go through the average user / item and are counted; a pair
// with both unseen gets the training mean; ids are matched across id kinds; results do not depend
// on the thread count.
#include "cofi/eval/rating_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cofi/data/ratings_reader.h"
#include "cofi/error.h"

namespace cofi {
namespace {

// users 10, 20; items 100, 200, 300; 2 factors; no y_range, so predictions are
// u . i + u_bias + i_bias exactly.
SavedModel tiny_model() {
  ModelConfig c;
  c.kind = ModelKind::dotbias;
  c.n_users = 2;
  c.n_items = 3;
  c.user_factors = c.item_factors = 2;
  c.y_range = false;
  SavedModel m;
  m.model = Model::create(c, 1);
  auto& p = m.model->parameters();
  p[0].value = {1, 0, 0, 2};           // u_weight: u10 = (1, 0), u20 = (0, 2)
  p[1].value = {1, 1, 2, 0, 0, 0.5f};  // i_weight: i100 = (1, 1), i200 = (2, 0), i300 = (0, 0.5)
  p[2].value = {0.5f, -0.5f};          // u_bias
  p[3].value = {0, 1, 0.25f};          // i_bias
  m.users = IdMap::from_sorted_ints({10, 20});
  m.items = IdMap::from_sorted_ints({100, 200, 300});
  m.record.rating_mean = 3.0;
  return m;
}

// Ratings of (raw user, raw item, rating) with their own integer id maps.
Ratings ratings_of(const std::vector<std::tuple<uint32_t, uint32_t, float>>& rows) {
  std::vector<uint32_t> users, items;
  for (auto& [u, i, r] : rows) {
    users.push_back(u);
    items.push_back(i);
  }
  auto unique_sorted = [](std::vector<uint32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  std::vector<uint32_t> user_ids = unique_sorted(users), item_ids = unique_sorted(items);
  std::vector<uint32_t> uc, ic;
  std::vector<float> rc;
  for (auto& [u, i, r] : rows) {
    uc.push_back(
        static_cast<uint32_t>(std::lower_bound(user_ids.begin(), user_ids.end(), u) - user_ids.begin()));
    ic.push_back(
        static_cast<uint32_t>(std::lower_bound(item_ids.begin(), item_ids.end(), i) - item_ids.begin()));
    rc.push_back(r);
  }
  Ratings out;
  out.user = Column<uint32_t>(std::move(uc));
  out.item = Column<uint32_t>(std::move(ic));
  out.rating = Column<float>(std::move(rc));
  out.users = IdMap::from_sorted_ints(std::move(user_ids));
  out.items = IdMap::from_sorted_ints(std::move(item_ids));
  return out;
}

// The hand-worked case. Predictions:
//   known    (10,100) 1 + 0.5 + 0 = 1.5     (10,200) 2 + 0.5 + 1 = 3.5
//            (20,300) 1 - 0.5 + 0.25 = 0.75 (20,100) 2 - 0.5 + 0 = 1.5
//   average user: weight (0.5, 1), bias 0; average item: weight (1, 0.5), bias 1.25 / 3.
//   fallback (30,200) user unseen: 0.5 * 2 + 0 + 1 = 2
//            (40,100) user unseen: 0.5 + 1 + 0 + 0 = 1.5
//            (10,999) item unseen: 1 * 1 + 0 * 0.5 + 0.5 + 1.25 / 3 = 1.5 + 5 / 12
//            (30,999) both unseen: the mean rating, 3
const std::vector<std::tuple<uint32_t, uint32_t, float>> kCase = {
    {10, 100, 2.0f}, {10, 200, 3.0f}, {20, 300, 2.75f}, {20, 100, 1.5f},  // errors -0.5, 0.5, -2, 0
    {30, 200, 4.0f}, {40, 100, 1.0f}, {10, 999, 1.0f},  {30, 999, 5.0f},  // errors -2, 0.5, 0.5 + 5/12, -2
};

TEST(RatingMetrics, HandWorked) {
  RatingReport r = evaluate_ratings(tiny_model(), ratings_of(kCase), 1);
  const double e7 = 0.5 + 5.0 / 12.0;

  EXPECT_EQ(r.known.n, 4u);
  EXPECT_NEAR(r.known.mse, (0.25 + 0.25 + 4 + 0) / 4, 1e-6);
  EXPECT_NEAR(r.known.rmse, std::sqrt(4.5 / 4), 1e-6);
  EXPECT_NEAR(r.known.mae, (0.5 + 0.5 + 2 + 0) / 4, 1e-6);

  const double fsq = 4 + 0.25 + e7 * e7 + 4, fabs_ = 2 + 0.5 + e7 + 2;
  EXPECT_EQ(r.fallback.n, 4u);
  EXPECT_NEAR(r.fallback.mse, fsq / 4, 1e-6);
  EXPECT_NEAR(r.fallback.rmse, std::sqrt(fsq / 4), 1e-6);
  EXPECT_NEAR(r.fallback.mae, fabs_ / 4, 1e-6);

  EXPECT_EQ(r.all.n, 8u);
  EXPECT_NEAR(r.all.mse, (4.5 + fsq) / 8, 1e-6);
  EXPECT_NEAR(r.all.rmse, std::sqrt((4.5 + fsq) / 8), 1e-6);
  EXPECT_NEAR(r.all.mae, (3 + fabs_) / 8, 1e-6);

  EXPECT_EQ(r.unseen_users, 2u);  // 30 and 40
  EXPECT_EQ(r.unseen_items, 1u);  // 999
  EXPECT_EQ(r.both_unseen, 1u);
}

TEST(RatingMetrics, BothUnseenGivesTheMeanRating) {
  SavedModel m = tiny_model();
  m.record.rating_mean = 3.25;
  RatingReport r = evaluate_ratings(m, ratings_of({{7, 8, 4.0f}, {9, 8, 2.0f}}), 1);
  EXPECT_EQ(r.fallback.n, 2u);
  EXPECT_EQ(r.both_unseen, 2u);
  EXPECT_DOUBLE_EQ(r.all.mse, (0.75 * 0.75 + 1.25 * 1.25) / 2);
  EXPECT_DOUBLE_EQ(r.all.mae, 1.0);
  EXPECT_EQ(r.known.n, 0u);
  EXPECT_EQ(r.known.mse, 0.0);
  EXPECT_EQ(r.unseen_users, 2u);
  EXPECT_EQ(r.unseen_items, 1u);
}

TEST(RatingMetrics, AllKnownHasNoFallback) {
  RatingReport r = evaluate_ratings(tiny_model(), ratings_of({{10, 100, 1.5f}, {20, 300, 1.75f}}), 1);
  EXPECT_EQ(r.fallback.n, 0u);
  EXPECT_EQ(r.unseen_users + r.unseen_items + r.both_unseen, 0u);
  EXPECT_NEAR(r.all.mse, 0.5, 1e-7);  // errors 0 and -1
  EXPECT_NEAR(r.all.mae, 0.5, 1e-7);
}

TEST(RatingMetrics, StringIdsInTheTestFileMatchIntegerIdsInTheModel) {
  RatingsFormat f;
  f.ids = IdKind::string;
  f.timestamp_column = -1;
  std::string csv;
  for (auto& [u, i, r] : kCase)
    csv += std::to_string(u) + "," + std::to_string(i) + "," + std::to_string(r) + "\n";
  Ratings test = parse_ratings(csv, "test.csv", f);
  ASSERT_EQ(test.users.kind(), IdMap::Kind::string);
  RatingReport a = evaluate_ratings(tiny_model(), test, 1);
  RatingReport b = evaluate_ratings(tiny_model(), ratings_of(kCase), 1);
  EXPECT_EQ(a.all.n, 8u);
  EXPECT_DOUBLE_EQ(a.all.mse, b.all.mse);
  EXPECT_DOUBLE_EQ(a.all.mae, b.all.mae);
  EXPECT_EQ(a.unseen_users, 2u);
  EXPECT_EQ(a.unseen_items, 1u);
}

TEST(RatingMetrics, AverageRowsAreTheMeanOfEachTable) {
  SavedModel m = tiny_model();
  auto ext = with_average_rows(*m.model);
  EXPECT_EQ(ext->config().n_users, 3u);
  EXPECT_EQ(ext->config().n_items, 4u);
  const auto& p = ext->parameters();
  EXPECT_EQ(p[0].value, (std::vector<float>{1, 0, 0, 2, 0.5f, 1}));
  EXPECT_EQ(p[1].value, (std::vector<float>{1, 1, 2, 0, 0, 0.5f, 1, 0.5f}));
  EXPECT_EQ(p[2].value, (std::vector<float>{0.5f, -0.5f, 0}));
  EXPECT_FLOAT_EQ(p[3].value[3], 1.25f / 3);
}

TEST(RatingMetrics, NnKeepsDenseLayersAndAveragesTables) {
  ModelConfig c;
  c.kind = ModelKind::nn;
  c.n_users = 5;
  c.n_items = 4;
  c.user_factors = 3;
  c.item_factors = 2;
  c.hidden = {4};
  auto model = Model::create(c, 3);
  auto ext = with_average_rows(*model);
  const auto& a = model->parameters();
  const auto& b = ext->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    if (!a[k].sparse) {
      EXPECT_EQ(a[k].value, b[k].value) << a[k].name;
      continue;
    }
    ASSERT_EQ(b[k].rows, a[k].rows + 1);
    for (uint32_t col = 0; col < a[k].cols; ++col) {
      double mean = 0;
      for (uint32_t r = 0; r < a[k].rows; ++r) mean += a[k].row(r)[col];
      EXPECT_NEAR(b[k].row(a[k].rows)[col], mean / a[k].rows, 1e-7);
    }
  }
  // Known rows predict as before.
  std::vector<uint32_t> u = {0, 1, 4}, i = {3, 0, 2};
  std::vector<float> pa(3), pb(3);
  model->predict(u.data(), i.data(), 3, pa.data());
  ext->predict(u.data(), i.data(), 3, pb.data());
  EXPECT_EQ(pa, pb);
}

TEST(RatingMetrics, SameResultForAnyThreadCount) {
  // 40,000 ratings (several chunks), a fifth of them with ids the model lacks.
  std::mt19937 engine(5);
  auto gen = [&] { return static_cast<uint32_t>(engine()); };
  std::vector<std::tuple<uint32_t, uint32_t, float>> rows;
  for (int k = 0; k < 40000; ++k) {
    uint32_t u = gen() % 5 == 0 ? 30 + gen() % 4 : (gen() % 2 ? 10 : 20);
    uint32_t i = 100 * (1 + gen() % 4);  // 400 is unseen
    rows.emplace_back(u, i, static_cast<float>(1 + gen() % 5));
  }
  // Pairs repeat; each row is scored on its own.
  Ratings test = ratings_of(rows);
  RatingReport one = evaluate_ratings(tiny_model(), test, 1);
  RatingReport many = evaluate_ratings(tiny_model(), test, 7);
  EXPECT_EQ(one.all.n, 40000u);
  EXPECT_EQ(one.all.mse, many.all.mse);
  EXPECT_EQ(one.all.mae, many.all.mae);
  EXPECT_EQ(one.known.mse, many.known.mse);
  EXPECT_EQ(one.fallback.mse, many.fallback.mse);
  EXPECT_EQ(one.unseen_users, 4u);
  EXPECT_EQ(one.unseen_items, 1u);
}

TEST(RatingMetrics, ModelWithoutIdMapsIsAnError) {
  SavedModel m = tiny_model();
  m.users = IdMap();
  try {
    evaluate_ratings(m, ratings_of(kCase), 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "evaluate: the model's id maps (0 users, 3 items) do not match its tables (2, 3)");
  }
}

}  // namespace
}  // namespace cofi
