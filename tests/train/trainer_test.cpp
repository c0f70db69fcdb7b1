// The training loop on small data: it learns, it is deterministic, it stops when told, and the
// lazy and dense modes train the same model.
#include "cofi/train/trainer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

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
  for (size_t i = 0; i < a->parameters().size(); ++i)
    EXPECT_EQ(a->parameters()[i].value, b->parameters()[i].value);
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

// ---- resuming a run ------------------------------------------------------------------------

// A model's parameter values, to restore into a fresh model as a saved file would.
std::vector<std::vector<float>> values_of(const Model& m) {
  std::vector<std::vector<float>> out;
  for (const auto& p : m.parameters()) out.push_back(p.value);
  return out;
}

// A model of `config` holding `values`; made from another seed, so that only the values carry over.
std::unique_ptr<Model> model_with(const ModelConfig& config, const std::vector<std::vector<float>>& values) {
  auto m = Model::create(config, 999);
  for (size_t i = 0; i < values.size(); ++i) m->parameters()[i].value = values[i];
  return m;
}

// Largest absolute difference between two models' parameters.
double max_difference(const Model& a, const Model& b) {
  double d = 0;
  for (size_t i = 0; i < a.parameters().size(); ++i)
    for (size_t k = 0; k < a.parameters()[i].size(); ++k)
      d = std::max(d,
                   std::fabs(static_cast<double>(a.parameters()[i].value[k]) - b.parameters()[i].value[k]));
  return d;
}

struct ResumeCase {
  ModelKind kind;
  OptimizerKind opt;
  bool lazy;
  ScheduleKind schedule;
};

std::string name_of(const ResumeCase& c) {
  return std::string(to_string(c.kind)) + "/" + to_string(c.opt) + (c.lazy ? "/lazy/" : "/dense/") +
         to_string(c.schedule);
}

const std::vector<ResumeCase> kResumeCases = {
    {ModelKind::dotbias, OptimizerKind::adam, true, ScheduleKind::one_cycle},
    {ModelKind::dotbias, OptimizerKind::adam, false, ScheduleKind::one_cycle},
    {ModelKind::dot, OptimizerKind::sgd, true, ScheduleKind::constant},
    {ModelKind::nn, OptimizerKind::adam, true, ScheduleKind::one_cycle},
    {ModelKind::nn, OptimizerKind::sgd, false, ScheduleKind::one_cycle},
};

ModelConfig resume_model(ModelKind kind) {
  ModelConfig c = config_for(kind);
  // Dropout makes the masks part of what must be drawn again; BatchNorm's running statistics are
  // buffers that travel with the parameters.
  if (kind == ModelKind::nn) {
    c.dropout = {0.2f};
    c.embed_dropout = 0.1f;
  }
  return c;
}

TrainConfig resume_config(const ResumeCase& c) {
  TrainConfig t = quick();
  t.epochs = 6;
  t.optimizer.kind = c.opt;
  t.optimizer.lazy = c.lazy;
  t.schedule.kind = c.schedule;
  if (c.opt == OptimizerKind::sgd) t.schedule.lr = 0.05;
  return t;
}

TEST(TrainResume, FromAWholeEpochCheckpointIsBitwiseTheSame) {
  Ratings data = synthetic(11, 0.3);
  for (const ResumeCase& c : kResumeCases) {
    SCOPED_TRACE(name_of(c));
    const ModelConfig mc = resume_model(c.kind);
    const TrainConfig t = resume_config(c);
    auto whole = Model::create(mc, 4);
    auto expected = fit(*whole, data, &data, t);
    ASSERT_EQ(expected.size(), 6u);

    // The same run, saving its state after epoch 3 as `cofi train` saves a checkpoint.
    auto first = Model::create(mc, 4);
    TrainState saved;
    std::vector<std::vector<float>> saved_values;
    TrainCallbacks cb;
    cb.on_checkpoint = [&](const TrainProgress& p, const OptimizerState& o) {
      if (p.epochs_done != 3) return;
      saved.progress = p;
      saved.optimizer = o;
      saved_values = values_of(*first);
    };
    fit(*first, data, &data, t, cb);
    ASSERT_EQ(saved.progress.epochs_done, 3u);
    EXPECT_EQ(saved.progress.batches_done, 0u);
    EXPECT_EQ(saved.optimizer.t, 3 * run_steps(data.size(), t).per_epoch);

    auto resumed = model_with(mc, saved_values);
    TrainState state = saved;
    auto rest = fit(*resumed, data, &data, t, {}, &state);
    ASSERT_EQ(rest.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(rest[k].epoch, k + 4);
      EXPECT_EQ(rest[k].train_loss, expected[k + 3].train_loss);
      EXPECT_EQ(rest[k].valid_mse, expected[k + 3].valid_mse);
    }
    EXPECT_EQ(values_of(*resumed), values_of(*whole));
    EXPECT_EQ(state.progress.epochs_done, 6u);
    EXPECT_EQ(state.optimizer.t, run_steps(data.size(), t).total);
  }
}

TEST(TrainResume, AfterAStopInsideAnEpoch) {
  Ratings data = synthetic(12, 0.3);
  for (const ResumeCase& c : kResumeCases) {
    SCOPED_TRACE(name_of(c));
    const ModelConfig mc = resume_model(c.kind);
    const TrainConfig t = resume_config(c);
    const uint64_t per_epoch = run_steps(data.size(), t).per_epoch;
    auto whole = Model::create(mc, 4);
    auto expected = fit(*whole, data, &data, t);

    // Stopped 5 batches into epoch 3, as Ctrl-C stops it.
    auto first = Model::create(mc, 4);
    std::atomic<bool> stop{false};
    TrainCallbacks cb;
    cb.stop = &stop;
    cb.on_batch = [&](uint64_t step, uint64_t, double) {
      if (step == 2 * per_epoch + 5) stop = true;
    };
    TrainState state;
    auto head = fit(*first, data, &data, t, cb, &state);
    ASSERT_EQ(head.size(), 3u);
    EXPECT_TRUE(head.back().interrupted);
    EXPECT_EQ(state.progress.epochs_done, 2u);
    EXPECT_EQ(state.progress.batches_done, 5u);
    EXPECT_EQ(state.optimizer.t, 2 * per_epoch + 5);

    auto resumed = model_with(mc, values_of(*first));
    auto rest = fit(*resumed, data, &data, t, {}, &state);
    ASSERT_EQ(rest.size(), 4u);
    EXPECT_EQ(rest.front().epoch, 3u);
    EXPECT_FALSE(rest.front().interrupted);
    if (!c.lazy) {
      // Dense mode has nothing to catch up at the stop: the continued run is the same run.
      EXPECT_EQ(values_of(*resumed), values_of(*whole));
      for (size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(rest[k].train_loss, expected[k + 2].train_loss);
        EXPECT_EQ(rest[k].valid_mse, expected[k + 2].valid_mse);
      }
    } else {
      // The stop caught every row up to its step; without the stop each row would have caught up
      // once, later, over the same steps: the same closed form in two parts, up to float rounding.
      EXPECT_LT(max_difference(*resumed, *whole), 1e-5);
      for (size_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(rest[k].train_loss, expected[k + 2].train_loss, 1e-6);
        EXPECT_NEAR(rest[k].valid_mse, expected[k + 2].valid_mse, 1e-6);
      }
    }
  }
}

TEST(TrainResume, RejectsAStateThatDoesNotFit) {
  Ratings data = synthetic(13);
  TrainConfig t = quick();
  t.epochs = 4;
  auto model = Model::create(config_for(ModelKind::dotbias), 1);
  TrainState good;
  TrainCallbacks cb;
  cb.on_checkpoint = [&](const TrainProgress& p, const OptimizerState& o) {
    if (p.epochs_done == 2) good = {p, o};
  };
  fit(*model, data, nullptr, t, cb);
  ASSERT_EQ(good.progress.epochs_done, 2u);
  const uint64_t per_epoch = run_steps(data.size(), t).per_epoch;

  auto expect_error = [&](TrainState s, const TrainConfig& config, const ModelConfig& mc,
                          const std::string& message) {
    auto m = Model::create(mc, 1);
    try {
      fit(*m, data, nullptr, config, {}, &s);
      ADD_FAILURE() << "no error; expected: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  };
  TrainState s = good;
  s.optimizer.t += 1;
  expect_error(s, t, config_for(ModelKind::dotbias),
               "the saved optimizer is at step " + std::to_string(2 * per_epoch + 1) +
                   ", the saved run at step " + std::to_string(2 * per_epoch) + " (" +
                   std::to_string(per_epoch) + " batches an epoch)");
  s = good;
  s.progress.epochs_done = 4;
  expect_error(s, t, config_for(ModelKind::dotbias), "the saved run has done all 4 of its epochs");
  s = good;
  s.progress.batches_done = per_epoch;
  expect_error(s, t, config_for(ModelKind::dotbias),
               "the saved run is at batch " + std::to_string(per_epoch) + " of an epoch of " +
                   std::to_string(per_epoch) + " batches");
  // The state of a model with other embedding sizes.
  ModelConfig wider = config_for(ModelKind::dotbias);
  wider.user_factors = wider.item_factors = 5;
  expect_error(
      good, t, wider,
      "the saved optimizer state does not fit this model and optimizer: u_weight has 160 first-moment "
      "values, expected 200");
  // An SGD state given to Adam: no second moments.
  s = good;
  for (auto& v : s.optimizer.v) v.clear();
  expect_error(
      s, t, config_for(ModelKind::dotbias),
      "the saved optimizer state does not fit this model and optimizer: u_weight has 0 second-moment "
      "values, expected 160");
  s = good;
  s.optimizer.last[0][3] = s.optimizer.t + 1;
  expect_error(
      s, t, config_for(ModelKind::dotbias),
      "the saved optimizer state does not fit this model and optimizer: u_weight has a row at step " +
          std::to_string(2 * per_epoch + 1) + ", after the state's step " + std::to_string(2 * per_epoch));
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
