// Block-parallel SGD end to end on a known low-rank model: every rule learns (with and without
// y_range, dot and dotbias), one and two threads reach the same error, one thread is deterministic,
// the returned Model scores what the engine reported, and bad settings are clear errors.
#include "cofi/train/sgd_blocks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "cofi/error.h"
#include "cofi/train/trainer.h"
#include "train/scale_fixtures.h"

namespace {

using namespace cofi;
using testing::HasSubstr;

ModelConfig config_for(const test::LowRankData& d, ModelKind kind, uint32_t k, bool y_range) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = static_cast<uint32_t>(d.train.n_users());
  c.n_items = static_cast<uint32_t>(d.train.n_items());
  c.user_factors = c.item_factors = k;
  c.y_range = y_range;
  c.y_min = -1.0f;
  c.y_max = 8.0f;
  return c;
}

SgdBlocksConfig quick(SgdRule rule, unsigned threads) {
  SgdBlocksConfig c;
  c.rule = rule;
  c.epochs = 20;
  c.threads = threads;
  c.lambda_f = 2;
  c.lambda_b = 1;
  c.lr = rule == SgdRule::sgd ? 0.05 : rule == SgdRule::adagrad ? 0.1 : 0.01;
  return c;
}

const test::LowRankData& data() {
  static const test::LowRankData d = test::low_rank_data(400, 300, 0.25, 3, 0.3, 17);
  return d;
}

TEST(SgdBlocks, EveryRuleLearnsDotAndDotbiasWithAndWithoutYRange) {
  const auto& d = data();
  const double baseline = test::mean_predictor_mse(d);
  for (SgdRule rule : {SgdRule::sgd, SgdRule::adagrad, SgdRule::adam})
    for (ModelKind kind : {ModelKind::dot, ModelKind::dotbias})
      for (bool y_range : {false, true}) {
        ScaleFit f = fit_sgd_blocks(config_for(d, kind, 8, y_range), d.train, &d.valid, quick(rule, 1));
        ASSERT_EQ(f.history.size(), 20u);
        const double mse = f.history.back().valid_mse;
        const std::string what =
            std::string(to_string(rule)) + " " + to_string(kind) + (y_range ? " y_range" : "");
        // Near the noise (what the true model scores), except dot without y_range: it has neither
        // bias nor offset for the mean of 3.5 and learns it through the factors, slowly.
        if (kind == ModelKind::dot && !y_range) {
          EXPECT_LT(mse, 0.6 * baseline) << what;
        } else {
          EXPECT_LT(mse, 1.5 * d.noise_mse) << what;
        }
        EXPECT_LT(f.history.back().train_loss, f.history.front().train_loss) << what;
      }
}

// With two threads the blocks run in an order that depends on timing; the error reached must not.
// On 200,000 ratings four seeds of one thread end within 0.0012 of each other (adam at lr 3e-3; at
// 1e-2 its spread is 0.0016), so 0.002 between one and two threads is a real property, not luck.
TEST(SgdBlocks, OneAndTwoThreadsReachTheSameError) {
  static const test::LowRankData d = test::low_rank_data(2000, 1000, 0.1, 3, 0.3, 17);
  for (SgdRule rule : {SgdRule::sgd, SgdRule::adagrad, SgdRule::adam}) {
    const ModelConfig c = config_for(d, ModelKind::dotbias, 8, false);
    SgdBlocksConfig one = quick(rule, 1), two = quick(rule, 2);
    if (rule == SgdRule::adam) one.lr = two.lr = 3e-3;
    one.bands = two.bands = 6;
    const double a = fit_sgd_blocks(c, d.train, &d.valid, one).history.back().valid_rmse;
    const double b = fit_sgd_blocks(c, d.train, &d.valid, two).history.back().valid_rmse;
    EXPECT_NEAR(a, b, 0.002) << to_string(rule);
  }
}

TEST(SgdBlocks, OneThreadIsDeterministicForASeed) {
  const auto& d = data();
  const ModelConfig c = config_for(d, ModelKind::dotbias, 8, true);
  SgdBlocksConfig cfg = quick(SgdRule::adagrad, 1);
  cfg.epochs = 3;
  auto a = fit_sgd_blocks(c, d.train, &d.valid, cfg);
  auto b = fit_sgd_blocks(c, d.train, &d.valid, cfg);
  cfg.seed = 2;
  auto other = fit_sgd_blocks(c, d.train, &d.valid, cfg);
  for (size_t p = 0; p < a.model->parameters().size(); ++p) {
    EXPECT_EQ(a.model->parameters()[p].value, b.model->parameters()[p].value)
        << a.model->parameters()[p].name;
    EXPECT_NE(a.model->parameters()[p].value, other.model->parameters()[p].value)
        << a.model->parameters()[p].name;
  }
  EXPECT_EQ(a.history.back().valid_mse, b.history.back().valid_mse);
}

TEST(SgdBlocks, TheModelScoresWhatTheEngineReported) {
  const auto& d = data();
  for (ModelKind kind : {ModelKind::dot, ModelKind::dotbias})
    for (bool y_range : {false, true}) {
      ScaleFit f =
          fit_sgd_blocks(config_for(d, kind, 8, y_range), d.train, &d.valid, quick(SgdRule::adagrad, 2));
      EXPECT_EQ(f.model->config().kind, kind);
      EXPECT_EQ(f.model->config().y_range, y_range);
      const double mse = mean_squared_error(*f.model, d.valid, 1);
      EXPECT_NEAR(mse, f.history.back().valid_mse, 1e-5 * mse)
          << to_string(kind) << (y_range ? " y_range" : "");
    }
}

TEST(SgdBlocks, CallbacksSeeEveryBlockAndStopEndsTheRun) {
  const auto& d = data();
  const ModelConfig c = config_for(d, ModelKind::dotbias, 8, false);
  SgdBlocksConfig cfg = quick(SgdRule::sgd, 2);
  cfg.epochs = 3;
  cfg.bands = 5;
  uint64_t calls = 0, last = 0, total = 0;
  int epochs = 0;
  TrainCallbacks cb;
  cb.on_batch = [&](uint64_t done, uint64_t all, double loss) {
    ++calls;
    EXPECT_EQ(done, last + 1);
    EXPECT_GE(loss, 0.0);
    last = done;
    total = all;
  };
  cb.on_epoch = [&](const EpochResult& r) { EXPECT_EQ(r.epoch, static_cast<uint32_t>(++epochs)); };
  fit_sgd_blocks(c, d.train, &d.valid, cfg, cb);
  EXPECT_EQ(calls, 75u);
  EXPECT_EQ(total, 75u);
  EXPECT_EQ(epochs, 3);

  // A stop raised after the 7th block: the first epoch ends early, marked interrupted, and a model
  // comes back.
  std::atomic<bool> stop{false};
  TrainCallbacks halt;
  halt.stop = &stop;
  halt.on_batch = [&](uint64_t done, uint64_t, double) {
    if (done == 7) stop = true;
  };
  cfg.threads = 1;
  ScaleFit f = fit_sgd_blocks(c, d.train, &d.valid, cfg, halt);
  ASSERT_EQ(f.history.size(), 1u);
  EXPECT_TRUE(f.history[0].interrupted);
  EXPECT_TRUE(f.history[0].has_valid);
  ASSERT_NE(f.model, nullptr);
}

void expect_error(const std::function<void()>& run, const std::string& message) {
  try {
    run();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(message));
  }
}

TEST(SgdBlocks, BadSettingsAreClearErrors) {
  const auto& d = data();
  const ModelConfig c = config_for(d, ModelKind::dotbias, 8, false);
  auto with = [&](const std::function<void(SgdBlocksConfig&)>& edit) {
    SgdBlocksConfig cfg = quick(SgdRule::adagrad, 1);
    cfg.epochs = 1;
    edit(cfg);
    return [=, &d] { fit_sgd_blocks(c, d.train, &d.valid, cfg); };
  };
  expect_error(with([](auto& x) { x.epochs = 0; }), "sgd-blocks: epochs must be at least 1");
  expect_error(with([](auto& x) { x.lr = -1; }), "sgd-blocks: the learning rate must be positive, found -1");
  expect_error(with([](auto& x) { x.lambda_f = -0.5; }),
               "sgd-blocks: the penalties lambda_f and lambda_b must be 0 or more, found -0.5 and 1");
  expect_error(with([](auto& x) { x.bands = 301; }),
               "block grid: 301 bands do not fit 400 users and 300 items");
  expect_error(with([](auto& x) { x.rule = SgdRule::adam, x.beta2 = 1.0; }),
               "sgd-blocks: adam's betas must be in [0, 1)");
  ModelConfig nn = c;
  nn.kind = ModelKind::nn;
  expect_error([&] { fit_sgd_blocks(nn, d.train, &d.valid, quick(SgdRule::sgd, 1)); },
               "sgd-blocks: trains dot and dotbias models, not nn");
  ModelConfig small = c;
  small.n_users = 10;
  expect_error([&] { fit_sgd_blocks(small, d.train, &d.valid, quick(SgdRule::sgd, 1)); },
               "sgd-blocks: the training data has 400 users and 300 items; the model has 10 and 300");
  expect_error([&] { fit_sgd_blocks(c, Ratings{}, nullptr, quick(SgdRule::sgd, 1)); },
               "sgd-blocks: no training ratings");
  expect_error([] { parse_sgd_rule("adamw"); },
               "unknown update rule \"adamw\" (expected sgd, adagrad or adam)");
}

TEST(SgdBlocks, DefaultBandsLeaveThreadsRoomAndFitTheData) {
  EXPECT_GE(default_bands(2, 22'500'000, 162'000, 59'000, 32), 5u);
  EXPECT_GE(default_bands(8, 22'500'000, 162'000, 59'000, 32), 17u);
  EXPECT_LE(default_bands(2, 1000, 3, 50, 32), 3u);  // never more bands than users
  EXPECT_GE(default_bands(1, 10, 100, 100, 8), 1u);
}

}  // namespace
