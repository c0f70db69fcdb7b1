// Training the hybrid and fitting the content model: the content fit against values computed
// independently (in Python, from the formulas of cofi/train/content.h), and a trained hybrid whose
// cold item (no ratings) is predicted from its genre and whose cold user (no ratings) from their
// gender, as the data's pattern says.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/train/content.h"
#include "cofi/train/trainer.h"
#include "features_of.h"

using namespace cofi;

namespace {

Ratings ratings_of(const std::vector<uint32_t>& users, const std::vector<uint32_t>& items,
                   const std::vector<float>& r, uint32_t n_users, uint32_t n_items) {
  Ratings out;
  out.user = Column<uint32_t>(users);
  out.item = Column<uint32_t>(items);
  out.rating = Column<float>(r);
  std::vector<uint32_t> uid(n_users), iid(n_items);
  for (uint32_t k = 0; k < n_users; ++k) uid[k] = k + 1;
  for (uint32_t k = 0; k < n_items; ++k) iid[k] = k + 1;
  out.users = IdMap::from_sorted_ints(uid);
  out.items = IdMap::from_sorted_ints(iid);
  return out;
}

using cofi::test::features_of;

// Items over features a, b, c: 0 {a}, 1 {a .5, b .5}, 2 {b}, 3 {c}, 4 {a .5, c .5}; eight ratings
// of three users. The expected values come from this Python, written from the header's formulas:
//   idf = ln(6 / (1 + df)) + 1; t = unit(w * idf); mu = 3.5; mean_u = (sum r + 5 mu) / (n + 5);
//   P_u = sum (r - mean_u) t; c = leave-one-out cosine; scale = sum w c / sum c^2 = 1.1030787.
TEST(ContentFit, MatchesIndependentlyComputedValues) {
  ModelConfig c;
  c.kind = ModelKind::content;
  c.n_users = 3;
  c.n_items = 5;
  c.item_features = 3;
  auto m = Model::create(c, 1);
  m->set_features(
      Side::item,
      features_of({"a", "b", "c"},
                  {{{0, 1.0f}}, {{0, 0.5f}, {1, 0.5f}}, {{1, 1.0f}}, {{2, 1.0f}}, {{0, 0.5f}, {2, 0.5f}}}));
  Ratings train =
      ratings_of({0, 0, 0, 1, 1, 1, 2, 2}, {0, 1, 3, 2, 3, 4, 0, 4}, {5, 4, 1, 5, 2, 3, 4, 4}, 3, 5);
  TrainConfig tc;
  std::vector<EpochResult> r = fit(*m, train, nullptr, tc);  // fit() hands a content model to fit_content
  ASSERT_EQ(r.size(), 1u);
  const auto& params = m->parameters();
  EXPECT_NEAR(params[2].value[0], 1.4054651, 1e-6);  // idf of a (on 3 items)
  EXPECT_NEAR(params[2].value[1], 1.6931472, 1e-6);  // idf of b (on 2)
  EXPECT_NEAR(params[1].value[0], 3.4375, 1e-6);     // user 0's damped mean
  EXPECT_NEAR(params[1].value[2], 3.6428571, 1e-6);
  EXPECT_NEAR(params[0].row(0)[0], 0.6764101, 1e-5);  // scale * P_0 / |P_0|
  EXPECT_NEAR(params[0].row(0)[1], 0.1523382, 1e-5);
  EXPECT_NEAR(params[0].row(0)[2], -0.8579307, 1e-5);
  const double expected[3][5] = {{4.1139101, 3.9867465, 3.5898382, 2.5795693, 3.209398},
                                 {3.3080177, 3.9118906, 4.1615164, 2.615419, 2.7222504},
                                 {4.6413446, 4.2806017, 3.6428571, 4.1116912, 4.6413446}};
  for (uint32_t u = 0; u < 3; ++u)
    for (uint32_t i = 0; i < 5; ++i) {
      float p = 0;
      m->predict(&u, &i, 1, &p);
      EXPECT_NEAR(p, expected[u][i], 2e-5) << u << "," << i;
    }
  EXPECT_NEAR(r[0].train_loss, mean_squared_error(*m, train), 1e-12);
  EXPECT_THROW(fit_content(*Model::create(
                               [] {
                                 ModelConfig d;
                                 d.n_users = d.n_items = 3;
                                 return d;
                               }(),
                               1),
                           train, nullptr),
               Error);
}

// 24 users (even: feature F, odd: M) and 22 items (genre A for items 0..9 and 20, B for 10..19
// and 21). F users rate A items 4.5 and B items 1.5, M users the other way round, except that
// user 23 and items 20 and 21 have no ratings at all: cold. A trained hybrid predicts the cold
// items from their genre and the cold user from their gender.
TEST(HybridTraining, ColdItemsAndUsersFollowTheirFeatures) {
  std::vector<uint32_t> us, is;
  std::vector<float> rs;
  for (uint32_t u = 0; u < 23; ++u)
    for (uint32_t i = 0; i < 20; ++i) {
      const bool female = u % 2 == 0, genre_a = i < 10;
      us.push_back(u);
      is.push_back(i);
      rs.push_back(female == genre_a ? 4.5f : 1.5f);
    }
  Ratings train = ratings_of(us, is, rs, 24, 22);
  ModelConfig c;
  c.kind = ModelKind::hybrid;
  c.n_users = 24;
  c.n_items = 22;
  c.user_factors = c.item_factors = 4;
  c.user_features = 2;
  c.item_features = 2;
  auto m = Model::create(c, 3);
  std::vector<std::vector<std::pair<uint32_t, float>>> user_rows(24), item_rows(22);
  for (uint32_t u = 0; u < 24; ++u) user_rows[u] = {{u % 2, 1.0f}};
  for (uint32_t i = 0; i < 22; ++i) item_rows[i] = {{(i < 10 || i == 20) ? 0u : 1u, 1.0f}};
  m->set_features(Side::user, features_of({"gender=F", "gender=M"}, user_rows));
  m->set_features(Side::item, features_of({"genre=A", "genre=B"}, item_rows));
  TrainConfig tc;
  tc.epochs = 30;
  tc.batch_size = 32;
  tc.schedule.lr = 3e-2;
  tc.optimizer.wd = 0.01;
  const double before = mean_squared_error(*m, train);
  auto r = fit(*m, train, nullptr, tc);
  EXPECT_LT(r.back().train_loss, 0.05 * before);
  auto predict = [&](uint32_t u, uint32_t i) {
    float p = 0;
    m->predict(&u, &i, 1, &p);
    return p;
  };
  // The cold items: an F user likes cold item 20 (genre A), an M user cold item 21 (genre B); the
  // predictions sit well on their side of the midpoint 3 (weight decay keeps them from the ends).
  EXPECT_GT(predict(0, 20), 3.75f);
  EXPECT_LT(predict(0, 21), 2.25f);
  EXPECT_LT(predict(1, 20), 2.25f);
  EXPECT_GT(predict(1, 21), 3.75f);
  // The cold user 23 (M) likes B, warm and cold alike.
  EXPECT_GT(predict(23, 15), 3.75f);
  EXPECT_LT(predict(23, 5), 2.25f);
  EXPECT_GT(predict(23, 21), 3.25f);
  // The cold rows' id embeddings were never trained: what they get comes from the features.
  const Parameter& i_weight = m->parameters()[1];
  for (uint32_t f = 0; f < 4; ++f) EXPECT_LT(std::fabs(i_weight.row(20)[f]), 0.05f);
}

}  // namespace
