// Crash-safe training end to end: `cofi train --out M` killed with SIGKILL at random moments
// leaves M absent or a complete model, and `cofi train --resume M` alone finishes the run to the
// model an uninterrupted run makes (bitwise: one thread, and training does not depend on the
// thread count anyway); the same after Ctrl-C and SIGTERM inside an epoch (within float rounding);
// --checkpoint-every; a continued run refuses other settings and other data. The data is a
// generated ratings file, so that nothing here is skipped for want of a data set.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"
#include "cofi/io/model_file.h"
#include "cofi/io/run_checkpoint.h"
#include "cofi/random.h"

using ::testing::HasSubstr;

namespace cofi::cli_test {
namespace {

using Clock = std::chrono::steady_clock;

// Ratings of a hidden rank-3 model on whole stars, 1,200 users x 900 items, about 45,000 of them
// for training and 5,000 for validation: an epoch takes a few tens of milliseconds.
struct Fixture {
  TempDir dir;
  std::string train, valid;
  Fixture() {
    train = dir.file("train.csv");
    valid = dir.file("valid.csv");
    SplitMix64 rng(20261128);
    auto uniform = [&] { return rng.uniform(); };
    std::vector<std::array<double, 3>> pu(1200), qi(900);
    for (auto& p : pu) p = {uniform() - 0.5, uniform() - 0.5, uniform() - 0.5};
    for (auto& q : qi) q = {uniform() - 0.5, uniform() - 0.5, uniform() - 0.5};
    std::string t = "userId,movieId,rating,timestamp\n", v = t;
    for (uint32_t u = 0; u < 1200; ++u)
      for (uint32_t i = 0; i < 900; ++i) {
        const double x = uniform();
        if (x >= 50000.0 / (1200 * 900)) continue;
        double r =
            3.0 + 6.0 * (pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1] + pu[u][2] * qi[i][2]) + uniform() - 0.5;
        r = std::clamp(std::round(r), 1.0, 5.0);
        std::string line = std::to_string(u + 1) + "," + std::to_string(i + 1) + "," +
                           std::to_string(int(r)) + ".0," + std::to_string(1000 + u * 900 + i) + "\n";
        (uniform() < 0.1 ? v : t) += line;
      }
    write_file(train, t);
    write_file(valid, v);
  }
  std::vector<std::string> train_args(const std::string& out, int epochs = 6) const {
    return {"train",     "--train", train,       "--valid", valid,     "--epochs", std::to_string(epochs),
            "--factors", "16",      "--threads", "1",       "--quiet", "--out",    out};
  }
};

// The model file at `path` with the wall-clock timings of its history zeroed and encoded again:
// the bytes but for what no seed fixes.
std::string bytes_without_timings(const std::string& path) {
  SavedModel m = load_model(path);
  for (auto& e : m.record.history) e.seconds = e.train_seconds = 0;
  return encode_model(m);
}

std::optional<RunCheckpoint> checkpoint_of(const SavedModel& m, const std::string& name) {
  if (m.optimizer_state.empty()) return std::nullopt;
  return decode_run_checkpoint(
      std::string_view(reinterpret_cast<const char*>(m.optimizer_state.data()), m.optimizer_state.size()),
      name);
}

// The rows of the epoch table printed so far.
size_t epoch_rows(const std::string& out) {
  size_t n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] >= '0' && line[0] <= '9') ++n;
  return n;
}

// Waits until `run` has printed `rows` epoch rows; false after 60 s.
bool wait_for_rows(const CliProcess& run, size_t rows) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (epoch_rows(run.out()) < rows) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return true;
}

// Files in `dir` other than the fixture's and `keep`.
std::vector<std::string> other_files(const fs::path& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name != "train.csv" && name != "valid.csv" && std::find(keep.begin(), keep.end(), name) == keep.end())
      out.push_back(name);
  }
  return out;
}

TEST(Checkpoint, SigkillLeavesNoModelOrAWholeOneAndResumeFinishesTheSameRun) {
  Fixture f;
  const std::string ref = f.dir.file("ref.cofi");
  const auto t0 = Clock::now();
  Outcome r = cofi(f.train_args(ref));
  const double whole_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r;
  const std::string expected = bytes_without_timings(ref);
  const SavedModel expected_model = load_model(ref);
  EXPECT_TRUE(expected_model.optimizer_state.empty()) << "a finished run keeps no state";
  const double expected_mse = expected_model.record.history.back().valid_mse;

  // Kill moments from a fixed seed: half spread over the whole run, start-up and data loading
  // included (the machine's speed decides where they land), half aimed at checkpoint writes.
  SplitMix64 rng(7);
  int absent = 0, resumed = 0, finished = 0, twice = 0, leftovers = 0;
  for (int k = 0; k < 20; ++k) {
    SCOPED_TRACE("kill " + std::to_string(k));
    const std::string name = "m" + std::to_string(k) + ".cofi", model = f.dir.file(name);
    const double at = whole_seconds * (0.02 + 0.98 * rng.uniform());
    {
      CliProcess run(f.train_args(model));
      ASSERT_GT(run.pid(), 0);
      if (k % 2 == 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(at));
      } else {
        // Just after an epoch's row is printed, which is when its checkpoint is being written:
        // these kills are the ones that cut writes short.
        wait_for_rows(run, 1 + static_cast<size_t>(k / 2) % 5);
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(rng.below(2000))));
      }
      ::kill(run.pid(), SIGKILL);
      Outcome o = run.wait(std::chrono::seconds(60));
      if (o.code == 0) {
        // It finished before the kill: the model is the uninterrupted run's.
        ++finished;
        EXPECT_TRUE(bytes_without_timings(model) == expected);
        continue;
      }
      ASSERT_EQ(o.code, 128 + SIGKILL) << o;
    }
    // A write cut short leaves at most its temporary file (M.tmp.XXXXXX) beside M, never a
    // partial M, and nothing else.
    for (const std::string& other : other_files(f.dir.path(), {"ref.cofi"})) {
      const bool model_file = other.size() > 6 && other.ends_with(".cofi");
      const bool temporary = other.find(".cofi.tmp.") != std::string::npos;
      EXPECT_TRUE(other[0] == 'm' && (model_file || temporary)) << other;
      if (temporary && other.rfind(name, 0) == 0) ++leftovers;
    }
    if (!fs::exists(model)) {
      ++absent;  // killed before the first checkpoint
      continue;
    }
    // M is a whole model: a checkpoint of the unfinished run, or (killed after the final save)
    // the finished model.
    auto unfinished = [&]() {
      SavedModel saved;
      EXPECT_NO_THROW(saved = load_model(model)) << "M must be a whole model";
      std::optional<RunCheckpoint> c;
      EXPECT_NO_THROW(c = checkpoint_of(saved, model));
      if (!c) {
        EXPECT_TRUE(bytes_without_timings(model) == expected)
            << "a model without run state is the finished one";
        return false;
      }
      EXPECT_EQ(c->state.progress.batches_done, 0u) << "checkpoints are taken at epoch ends";
      EXPECT_EQ(saved.record.history.size(), c->state.progress.epochs_done);
      EXPECT_EQ(c->run.epochs, 6u);
      return true;
    };
    if (!unfinished()) {
      ++finished;
      continue;
    }
    // Every fourth time the resumed run is killed too, and resumed again.
    if (k % 4 == 3) {
      CliProcess again({"train", "--resume", model, "--quiet"});
      std::this_thread::sleep_for(std::chrono::duration<double>(at / 2));
      ::kill(again.pid(), SIGKILL);
      again.wait(std::chrono::seconds(60));
      ++twice;
      if (!unfinished()) {
        ++resumed;
        continue;
      }
    }
    // Nothing but --resume: the run's data and settings come from the checkpoint.
    Outcome o = cofi({"train", "--resume", model, "--quiet"});
    ASSERT_EQ(o.code, 0) << o;
    EXPECT_THAT(o.out, HasSubstr("continuing the unfinished run in " + model)) << o;
    ++resumed;
    const SavedModel back = load_model(model);
    EXPECT_TRUE(back.optimizer_state.empty());
    ASSERT_EQ(back.record.history.size(), 6u);
    EXPECT_EQ(back.record.history.back().valid_mse, expected_mse);
    EXPECT_TRUE(bytes_without_timings(model) == expected)
        << "the resumed run's model differs from the whole run's";
  }
  std::printf(
      "[          ] 20 kills: %d before the first checkpoint, %d resumed (%d of them killed twice), "
      "%d after the final save; %d cut a write short (its temporary file left)\n",
      absent, resumed, twice, finished, leftovers);
  // Most kills must land mid-run, or this test tests nothing.
  EXPECT_GE(resumed, 5) << "the run takes " << whole_seconds << " s";
}

TEST(Checkpoint, CtrlCOrSigtermInsideAnEpochThenResumeFinishesTheRun) {
  Fixture f;
  const std::string ref = f.dir.file("ref.cofi");
  ASSERT_EQ(cofi(f.train_args(ref)).code, 0);
  const SavedModel expected = load_model(ref);
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig == SIGINT ? "SIGINT" : "SIGTERM");
    const std::string model = f.dir.file(sig == SIGINT ? "int.cofi" : "term.cofi");
    CliProcess run(f.train_args(model));
    ASSERT_TRUE(wait_for_rows(run, 2)) << run.out();
    // A moment into the third epoch.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(::kill(run.pid(), sig), 0);
    Outcome o = run.wait(std::chrono::seconds(60));
    ASSERT_EQ(o.code, 0) << o;
    EXPECT_THAT(o.out, HasSubstr(sig == SIGINT ? "stopped by Ctrl-C" : "stopped by SIGTERM")) << o;
    EXPECT_THAT(o.out, HasSubstr("to finish the run: cofi train --resume " + model)) << o;
    const SavedModel stopped = load_model(model);
    std::optional<RunCheckpoint> c = checkpoint_of(stopped, model);
    ASSERT_TRUE(c.has_value());
    ASSERT_LT(c->state.progress.epochs_done, 6u);

    Outcome inspect = cofi({"inspect", model});
    EXPECT_THAT(inspect.out, HasSubstr("run          unfinished: " +
                                       std::to_string(c->state.progress.epochs_done) + " of 6 epochs done"))
        << inspect;

    Outcome resumed = cofi({"train", "--resume", model, "--quiet"});
    ASSERT_EQ(resumed.code, 0) << resumed;
    const SavedModel back = load_model(model);
    ASSERT_EQ(back.record.history.size(), 6u);
    for (size_t e = 0; e < 6; ++e) {
      EXPECT_EQ(back.record.history[e].epoch, e + 1);
      EXPECT_FALSE(back.record.history[e].interrupted) << "the interrupted epoch was run to its end";
    }
    // Lazy rows caught up early at the stop: the same run up to float rounding (exact when the
    // stop fell on an epoch's end).
    EXPECT_NEAR(back.record.history.back().valid_mse, expected.record.history.back().valid_mse, 1e-6);
    for (size_t i = 0; i < back.model->parameters().size(); ++i) {
      const auto& a = back.model->parameters()[i].value;
      const auto& b = expected.model->parameters()[i].value;
      double d = 0;
      for (size_t k = 0; k < a.size(); ++k) d = std::max(d, static_cast<double>(std::fabs(a[k] - b[k])));
      EXPECT_LT(d, 1e-4) << back.model->parameters()[i].name;
    }
  }
}

TEST(Checkpoint, EveryNEpochsOrOnlyAtTheEnd) {
  Fixture f;
  // --checkpoint-every 0: nothing is written before the end.
  {
    const std::string model = f.dir.file("none.cofi");
    std::vector<std::string> args = f.train_args(model);
    args.insert(args.end(), {"--checkpoint-every", "0"});
    CliProcess run(args);
    ASSERT_TRUE(wait_for_rows(run, 3)) << run.out();
    ::kill(run.pid(), SIGKILL);
    run.wait(std::chrono::seconds(60));
    EXPECT_FALSE(fs::exists(model));
  }
  // --checkpoint-every 2: the checkpoint after epoch 2 is written before epoch 3 starts, and
  // every checkpoint holds an even number of epochs.
  {
    const std::string model = f.dir.file("two.cofi");
    std::vector<std::string> args = f.train_args(model);
    args.insert(args.end(), {"--checkpoint-every", "2"});
    CliProcess run(args);
    ASSERT_TRUE(wait_for_rows(run, 3)) << run.out();
    ::kill(run.pid(), SIGKILL);
    run.wait(std::chrono::seconds(60));
    ASSERT_TRUE(fs::exists(model));
    const SavedModel m = load_model(model);
    EXPECT_TRUE(m.record.history.size() == 2 || m.record.history.size() == 4) << m.record.history.size();
    EXPECT_TRUE(checkpoint_of(m, model).has_value());
  }
}

TEST(Checkpoint, AContinuedRunRefusesOtherSettingsAndOtherData) {
  Fixture f;
  const std::string model = f.dir.file("m.cofi");
  CliProcess run(f.train_args(model));
  ASSERT_TRUE(wait_for_rows(run, 1)) << run.out();
  ::kill(run.pid(), SIGINT);
  ASSERT_EQ(run.wait(std::chrono::seconds(60)).code, 0);
  const std::string before = read_file(model);
  ASSERT_FALSE(before.empty());

  Outcome o = cofi({"train", "--resume", model, "--lr", "0.01", "--epochs", "9", "--quiet"});
  EXPECT_EQ(o.code, 1) << o;
  EXPECT_THAT(o.err, HasSubstr(model + " holds an unfinished run (")) << o;
  EXPECT_THAT(o.err, HasSubstr("--epochs 9 (the run's: 6), --lr 0.01 (the run's: default)")) << o;
  // The same values as the run's are no change.
  o = cofi({"train", "--resume", model, "--epochs", "6", "--factors", "16", "--quiet", "--checkpoint-every",
            "0", "--out", f.dir.file("copy.cofi")});
  EXPECT_EQ(o.code, 0) << o;
  EXPECT_EQ(load_model(f.dir.file("copy.cofi")).record.history.size(), 6u);

  // Other data: the valid file in place of the train file.
  o = cofi({"train", "--resume", model, "--train", f.valid, "--quiet"});
  EXPECT_EQ(o.code, 1) << o;
  EXPECT_THAT(o.err, HasSubstr(": the training data is not the unfinished run's")) << o;
  EXPECT_TRUE(read_file(model) == before) << "a refused resume leaves the model as it was";
}

}  // namespace
}  // namespace cofi::cli_test
