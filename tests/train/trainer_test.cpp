// The training loop on small data: it learns, it is deterministic, it stops when told, and the
// lazy and dense modes train the same model.
#include "cofi/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "cofi/error.h"
#include "cofi/train/lr_find.h"

namespace {

using namespace cofi;

// Ratings from a hidden rank-2 model plus noise: 40 users x 30 items, 60% observed.
Ratings synthetic(uint64_t seed, double density = 0.6) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> n(0, 1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<std::array<float, 2>> pu(40), qi(30);
  for (auto& p : pu) p = {n(rng), n(rng)};
  for (auto& q : qi) q = {n(rng), n(rng)};
  std::vector<uint32_t> us, is;
  std::vector<float> rs;
  for (uint32_t a = 0; a < 40; ++a)
    for (uint32_t b = 0; b < 30; ++b) {
      if (u(rng) > density) continue;
      float r = 3.0f + 0.6f * (pu[a][0] * qi[b][0] + pu[a][1] * qi[b][1]) + 0.1f * n(rng);
      us.push_back(a);
      is.push_back(b);
      rs.push_back(std::clamp(r, 0.5f, 5.0f));
    }
  Ratings out;
  out.user = Column<uint32_t>(us);
  out.item = Column<uint32_t>(is);
  out.rating = Column<float>(rs);
  std::vector<uint32_t> uid(40), iid(30);
  for (uint32_t k = 0; k < 40; ++k) uid[k] = k + 1;
  for (uint32_t k = 0; k < 30; ++k) iid[k] = k + 1;
  out.users = IdMap::from_sorted_ints(uid);
  out.items = IdMap::from_sorted_ints(iid);
  return out;
}

ModelConfig config_for(ModelKind kind) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = 40;
  c.n_items = 30;
  c.user_factors = c.item_factors = 4;
  c.hidden = {16};
  return c;
}

TrainConfig quick() {
  TrainConfig t;
  t.epochs = 30;
  t.batch_size = 32;
  t.schedule.lr = 3e-2;
  t.optimizer.wd = 0.01;
  return t;
}

TEST(TrainFit, EveryModelLearns) {
  Ratings data = synthetic(1);
  for (auto kind : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn}) {
    auto model = Model::create(config_for(kind), 7);
    double before = mean_squared_error(*model, data);
    auto history = fit(*model, data, &data, quick());
    ASSERT_EQ(history.size(), 30u);
    EXPECT_LT(history.back().valid_mse, before * 0.5) << to_string(kind);
    EXPECT_LT(history.back().train_loss, history.front().train_loss) << to_string(kind);
    EXPECT_NEAR(history.back().valid_rmse, std::sqrt(history.back().valid_mse), 1e-12);
  }
}

TEST(TrainFit, SameSeedSameModelWhateverTheThreadCount) {
  Ratings data = synthetic(2);
  TrainConfig t = quick();
  t.epochs = 3;
  auto a = Model::create(config_for(ModelKind::dotbias), 3);
  auto b = Model::create(config_for(ModelKind::dotbias), 3);
  t.threads = 1;
  auto ha = fit(*a, data, &data, t);
  t.threads = 2;
  auto hb = fit(*b, data, &data, t);
  for (size_t i = 0; i < a->parameters().size(); ++i) EXPECT_EQ(a->parameters()[i].value, b->parameters()[i].value);
  EXPECT_EQ(ha.back().valid_mse, hb.back().valid_mse);
  auto c = Model::create(config_for(ModelKind::dotbias), 3);
  t.seed = 2;
  fit(*c, data, &data, t);
  EXPECT_NE(a->parameters()[0].value, c->parameters()[0].value);
}

TEST(TrainFit, LazyAndDenseTrainTheSameModel) {
  // Sparse data so that most rows sit out most steps; SGD with momentum, where lazy is exact.
  Ratings data = synthetic(3, 0.15);
  TrainConfig t = quick();
  t.epochs = 5;
  t.optimizer.kind = OptimizerKind::sgd;
  t.schedule.lr = 0.05;
  auto lazy = Model::create(config_for(ModelKind::dotbias), 5);
  auto dense = Model::create(config_for(ModelKind::dotbias), 5);
  t.optimizer.lazy = true;
  auto hl = fit(*lazy, data, &data, t);
  t.optimizer.lazy = false;
  auto hd = fit(*dense, data, &data, t);
  for (size_t i = 0; i < lazy->parameters().size(); ++i) {
    const auto& x = lazy->parameters()[i].value;
    const auto& y = dense->parameters()[i].value;
    for (size_t k = 0; k < x.size(); ++k) EXPECT_NEAR(x[k], y[k], 1e-5 + 1e-4 * std::fabs(y[k]));
  }
  EXPECT_NEAR(hl.back().valid_mse, hd.back().valid_mse, 1e-5);
}

TEST(TrainFit, StopsAfterTheCurrentBatchWhenAsked) {
  Ratings data = synthetic(4);
  std::atomic<bool> stop{false};
  TrainCallbacks cb;
  uint64_t batches = 0;
  cb.on_batch = [&](uint64_t step, uint64_t, double) {
    batches = step;
    if (step == 10) stop = true;
  };
  cb.stop = &stop;
  auto model = Model::create(config_for(ModelKind::dotbias), 1);
  auto history = fit(*model, data, nullptr, quick(), cb);
  EXPECT_EQ(batches, 10u);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].interrupted);
  EXPECT_FALSE(history[0].has_valid);
}

TEST(TrainFit, RejectsDataBeyondTheModel) {
  Ratings data = synthetic(5);
  ModelConfig c = config_for(ModelKind::dotbias);
  c.n_users = 10;
  auto model = Model::create(c, 1);
  try {
    fit(*model, data, nullptr, quick());
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "training data has 40 users and 30 items; the model has 10 and 30");
  }
  TrainConfig t = quick();
  t.batch_size = 0;
  auto ok = Model::create(config_for(ModelKind::dotbias), 1);
  EXPECT_THROW(fit(*ok, data, nullptr, t), Error);
}

TEST(TrainLrFind, SweepsRestoresAndSuggests) {
  Ratings data = synthetic(6);
  auto model = Model::create(config_for(ModelKind::dotbias), 1);
  auto before = model->parameters()[0].value;
  LrFindConfig c;
  c.batch_size = 32;
  auto r = lr_find(*model, data, c);
  EXPECT_EQ(model->parameters()[0].value, before);  // the model is left as it was
  ASSERT_GE(r.lrs.size(), 20u);
  EXPECT_NEAR(r.lrs.front(), 1e-7, 1e-12);
  for (size_t k = 1; k < r.lrs.size(); ++k) EXPECT_GT(r.lrs[k], r.lrs[k - 1]);
  // The suggestions lie inside the sweep, where the loss was still finite.
  for (double s : {r.valley, r.minimum * 10, r.steep}) {
    EXPECT_GE(s, r.lrs.front());
    EXPECT_LE(s, r.lrs.back());
  }
  EXPECT_GT(r.valley, 1e-5);  // with this easy problem, far above the start of the sweep
}

}  // namespace
