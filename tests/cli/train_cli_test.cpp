// `cofi train` and `cofi lr-find` end to end: the epoch table, the model, metrics and plot files
// (and the model scoring as the metrics say under `cofi eval`), --data splits, option errors,
// reproducible models for a seed, the other model kinds, --resume, Ctrl-C, and the help text.
// Runs on ml-100k's u1 split and ml-latest-small from $COFI_DATA_DIR (skipped when absent); the
// error cases use a tiny ratings file so that they fail fast.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "cofi/io/model_file.h"

using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace cofi::cli_test {
namespace {

const char* kTableHeader = "epoch  train_loss  valid_mse   valid_rmse  time\n";

std::string u1_base() { return (data_dir() / "ml-100k" / "u1.base").string(); }
std::string u1_test() { return (data_dir() / "ml-100k" / "u1.test").string(); }

// A row of the epoch table in `out`: the epoch number, then train_loss, valid_mse, valid_rmse
// (NaN for a "-").
struct EpochRow {
  int epoch = -1;
  std::vector<double> values;
};

std::vector<EpochRow> epoch_rows(const std::string& out) {
  std::vector<EpochRow> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first.empty() || first.find_first_not_of("0123456789") != std::string::npos) continue;
    EpochRow row;
    row.epoch = std::stoi(first);
    for (int k = 0; k < 3; ++k) {
      std::string w;
      words >> w;
      char* end = nullptr;
      double v = std::strtod(w.c_str(), &end);
      row.values.push_back(end != w.c_str() && *end == '\0' ? v : std::nan(""));
    }
    rows.push_back(row);
  }
  return rows;
}

// The model file at `path` with the wall-clock timings of its history zeroed, encoded again: the
// file's bytes but for what no seed can fix.
std::string bytes_without_timings(const fs::path& path) {
  ::cofi::SavedModel m = ::cofi::load_model(path.string());
  for (auto& e : m.record.history) e.seconds = e.train_seconds = 0;
  return ::cofi::encode_model(m);
}

// A ratings file small enough that every error case fails (or trains) at once.
fs::path tiny_ratings(const TempDir& dir, const std::string& name = "tiny.csv") {
  const fs::path path = dir.path() / name;
  write_file(path,
             "userId,movieId,rating,timestamp\n"
             "1,10,4.0,1\n1,20,3.0,2\n2,10,5.0,3\n2,30,2.0,4\n3,20,1.0,5\n3,30,4.5,6\n");
  return path;
}

bool is_svg(const std::string& text) {
  return text.rfind("<svg", 0) == 0 && text.find("polyline") != std::string::npos;
}

// ---- train: the outputs ------------------------------------------------------------------

TEST(TrainCli, TableModelMetricsAndPlot) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string model = (dir.path() / "m.cofi").string(), metrics = (dir.path() / "m.json").string(),
                    plot = (dir.path() / "m.svg").string();
  Outcome r = cofi({"train", "--train", u1_base(), "--valid", u1_test(), "--epochs", "2", "--quiet", "--out",
                    model, "--metrics", metrics, "--plot", plot});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr(kTableHeader)) << r;
  std::vector<EpochRow> rows = epoch_rows(r.out);
  ASSERT_EQ(rows.size(), 2u) << r;
  EXPECT_EQ(rows[0].epoch, 0);
  EXPECT_EQ(rows[1].epoch, 1);

  Outcome inspect = cofi({"inspect", model});
  ASSERT_EQ(inspect.code, 0) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("kind         dotbias\n")) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("history      2 epochs\n")) << inspect;

  nlohmann::json j = nlohmann::json::parse(read_file(metrics), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << read_file(metrics);
  ASSERT_TRUE(j.contains("settings") && j["settings"].is_object()) << j;
  EXPECT_EQ(j["settings"]["model"], "dotbias");
  EXPECT_EQ(j["settings"]["epochs"], 2);
  ASSERT_TRUE(j["epochs"].is_array()) << j;
  ASSERT_EQ(j["epochs"].size(), 2u) << j;
  for (const auto& e : j["epochs"]) {
    for (const char* key : {"valid_mse", "train_seconds", "ratings_per_second"}) {
      ASSERT_TRUE(e.contains(key) && e[key].is_number()) << key << " in " << e;
    }
    EXPECT_GT(e["train_seconds"].get<double>(), 0);
    EXPECT_GT(e["ratings_per_second"].get<double>(), 0);
  }
  // 80,000 ratings in batches of 64: 1,250 whole batches an epoch.
  ASSERT_TRUE(j["batch_losses"].is_array()) << j;
  EXPECT_EQ(j["batch_losses"].size(), 2500u);
  const double valid_mse = j["epochs"][1]["valid_mse"].get<double>();
  EXPECT_NEAR(valid_mse, rows[1].values[1], 1e-6) << "the table and the metrics file agree";

  EXPECT_TRUE(is_svg(read_file(plot))) << read_file(plot).substr(0, 200);

  // The saved model scores u1.test as training's last validation did.
  Outcome ev = cofi({"eval", "--model", model, "--test", u1_test()});
  ASSERT_EQ(ev.code, 0) << ev;
  std::vector<double> all = eval_row(ev.out, "all");
  ASSERT_EQ(all.size(), 3u) << ev;
  EXPECT_NEAR(all[0], valid_mse, 5e-5) << ev;
}

TEST(TrainCli, DataSplitByValidPct) {
  REQUIRE_DATA("ml-latest-small");
  TempDir dir;
  const std::string metrics = (dir.path() / "m.json").string();
  Outcome r = cofi({"train", "--data", "ml-latest-small", "--valid-pct", "0.2", "--split-seed", "42",
                    "--epochs", "1", "--quiet", "--metrics", metrics});
  ASSERT_EQ(r.code, 0) << r;
  // 100,836 ratings, a fifth held out.
  EXPECT_THAT(r.out, HasSubstr("training dotbias on 80669 ratings")) << r;
  EXPECT_THAT(r.out, HasSubstr("validating on 20167")) << r;
  std::vector<EpochRow> rows = epoch_rows(r.out);
  ASSERT_EQ(rows.size(), 1u) << r;
  EXPECT_FALSE(std::isnan(rows[0].values[1])) << r;
  nlohmann::json j = nlohmann::json::parse(read_file(metrics), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["settings"]["valid_pct"], 0.2);
  EXPECT_EQ(j["settings"]["split_seed"], 42);
}

// ---- train: errors -----------------------------------------------------------------------

TEST(TrainCli, DataErrorsExit1) {
  TempDir dir;
  const std::string tiny = tiny_ratings(dir).string();
  Outcome both = cofi({"train", "--train", tiny, "--data", tiny, "--epochs", "1"});
  EXPECT_EQ(both.code, 1) << both;
  EXPECT_THAT(both.err, HasSubstr("give either --train (with --valid) or --data, not both")) << both;

  Outcome none = cofi({"train", "--epochs", "1"});
  EXPECT_EQ(none.code, 1) << none;
  EXPECT_THAT(none.err, StartsWith("cofi: error: give the training data")) << none;
}

TEST(TrainCli, BadOptionsExit1) {
  TempDir dir;
  const std::string tiny = tiny_ratings(dir).string(), out = (dir.path() / "m.cofi").string();
  struct Case {
    std::vector<std::string> options;
    std::vector<std::string> message;  // substrings of stderr
  };
  const std::vector<Case> cases = {
      {{"--model", "foo"}, {"\"foo\"", "dot", "dotbias", "nn"}},
      {{"--y-range", "5"}, {"--y-range"}},
      {{"--opt", "rmsprop"}, {"rmsprop", "adam", "sgd"}},
      {{"--lr", "-1"}, {"option --lr: must be positive, found -1"}},
      {{"--batch-size", "0"}, {"option --batch-size: must be at least 1, found 0"}},
      {{"--wd", "-0.1"}, {"option --wd: must be 0 or more, found -0.1"}},
      {{"--momentum", "1"}, {"option --momentum: must be in [0, 1), found 1"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"train", "--train", tiny, "--epochs", "1", "--out", out};
    args.insert(args.end(), c.options.begin(), c.options.end());
    Outcome r = cofi(args);
    EXPECT_EQ(r.code, 1) << c.options[0] << "\n" << r;
    EXPECT_THAT(r.err, StartsWith("cofi: error: ")) << r;
    for (const auto& m : c.message) EXPECT_THAT(r.err, HasSubstr(m)) << c.options[0] << "\n" << r;
    EXPECT_FALSE(fs::exists(out)) << "no model is saved after " << c.options[0];
  }
}

// ---- train: reproducibility and the other model kinds ------------------------------------

TEST(TrainCli, SameSeedSameModel) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  auto train = [&](const std::string& seed, const std::string& name) {
    const fs::path path = dir.path() / name;
    Outcome r = cofi(
        {"train", "--train", u1_base(), "--epochs", "1", "--quiet", "--seed", seed, "--out", path.string()});
    EXPECT_EQ(r.code, 0) << r;
    return path;
  };
  const fs::path a = train("7", "a.cofi"), b = train("7", "b.cofi"), c = train("8", "c.cofi");
  // The history keeps each epoch's wall-clock time, so the files themselves differ in those bytes
  // (and the checksum); all else must be the same to the bit.
  const std::string bytes_a = bytes_without_timings(a);
  EXPECT_TRUE(bytes_a == bytes_without_timings(b)) << "same seed, different model";
  EXPECT_FALSE(bytes_a == bytes_without_timings(c)) << "another seed, same model";
  EXPECT_EQ(read_file(a).size(), read_file(b).size());
}

TEST(TrainCli, NnAndDotModels) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string nn = (dir.path() / "nn.cofi").string(), dot = (dir.path() / "dot.cofi").string();
  Outcome r = cofi({"train", "--train", u1_base(), "--model", "nn", "--epochs", "1", "--layers", "16",
                    "--factors", "8", "--quiet", "--out", nn});
  ASSERT_EQ(r.code, 0) << r;
  Outcome inspect = cofi({"inspect", nn});
  ASSERT_EQ(inspect.code, 0) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("kind         nn\n")) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("factors      8\n")) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("hidden       16\n")) << inspect;

  r = cofi({"train", "--train", u1_base(), "--model", "dot", "--y-range", "none", "--epochs", "1", "--quiet",
            "--out", dot});
  ASSERT_EQ(r.code, 0) << r;
  inspect = cofi({"inspect", dot});
  ASSERT_EQ(inspect.code, 0) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("kind         dot\n")) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("y_range      off\n")) << inspect;
}

// ---- train: the large-data solvers ---------------------------------------------------------

// sgd-blocks and als train a dotbias model that saves and scores like any other: `cofi eval` of the
// saved model gives the last epoch's validation error, and the settings name the solver.
TEST(TrainCli, ScaleSolversTrainSaveAndScore) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  struct Case {
    std::vector<std::string> options;
    std::string banner;  // the solver's line under the training line
    size_t epochs;
  };
  const std::vector<Case> cases = {
      {{"--solver", "sgd-blocks", "--epochs", "4", "--threads", "2", "--blocks", "5"},
       "sgd-blocks: adagrad, lr 0.2, lambda_f 6, lambda_b 3, 2 threads, 5 x 5 blocks, ",
       4},
      {{"--solver", "sgd-blocks", "--rule", "sgd", "--lr", "0.05", "--y-range", "none", "--threads", "1"},
       "sgd-blocks: sgd, lr 0.05, lambda_f 6, lambda_b 3, 1 threads, ",
       20},
      {{"--solver", "als", "--epochs", "3", "--lambda-f", "8", "--threads", "2"},
       "als: lambda_f 8, lambda_b 3, 2 threads\n",
       3},
  };
  for (const Case& c : cases) {
    const std::string model = (dir.path() / "m.cofi").string(), metrics = (dir.path() / "m.json").string();
    std::vector<std::string> args{"train", "--train", u1_base(), "--valid", u1_test(),   "--factors",
                                  "8",     "--quiet", "--out",   model,     "--metrics", metrics};
    args.insert(args.end(), c.options.begin(), c.options.end());
    Outcome r = cofi(args);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr(c.banner)) << r;
    std::vector<EpochRow> rows = epoch_rows(r.out);
    ASSERT_EQ(rows.size(), c.epochs) << r;
    const double rmse = rows.back().values[2];
    EXPECT_LT(rmse, 1.0) << r;  // the mean rating alone scores about 1.15 on u1.test

    nlohmann::json j = nlohmann::json::parse(read_file(metrics), nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    EXPECT_EQ(j["settings"]["solver"], c.options[1]);
    EXPECT_EQ(j["settings"]["epochs"], c.epochs);
    EXPECT_GT(j["epochs"][0]["ratings_per_second"].get<double>(), 0);

    Outcome ev = cofi({"eval", "--model", model, "--test", u1_test()});
    ASSERT_EQ(ev.code, 0) << ev;
    std::vector<double> all = eval_row(ev.out, "all");
    ASSERT_EQ(all.size(), 3u) << ev;
    EXPECT_NEAR(all[1], rmse, 2e-4) << ev;  // the table prints 6 decimals, eval 4
    Outcome inspect = cofi({"inspect", model});
    EXPECT_THAT(inspect.out, HasSubstr("kind         dotbias\n")) << inspect;
  }
}

TEST(TrainCli, ScaleSolverOptionErrors) {
  TempDir dir;
  const std::string tiny = tiny_ratings(dir).string(), out = (dir.path() / "m.cofi").string();
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--solver", "fpsgd"}, "unknown solver \"fpsgd\" (expected minibatch, sgd-blocks or als)"},
      {{"--rule", "sgd"},
       "option --rule does not apply to --solver minibatch (it is an option of sgd-blocks and als)"},
      {{"--lambda-f", "2"}, "option --lambda-f does not apply to --solver minibatch"},
      {{"--solver", "sgd-blocks", "--batch-size", "32"},
       "option --batch-size does not apply to --solver sgd-blocks (it is an option of the minibatch solver)"},
      {{"--solver", "sgd-blocks", "--wd", "0.1"}, "option --wd does not apply to --solver sgd-blocks"},
      {{"--solver", "als", "--lr", "0.1"},
       "option --lr does not apply to --solver als (ALS solves each row exactly: it has no steps)"},
      {{"--solver", "als", "--blocks", "4"}, "option --blocks does not apply to --solver als"},
      {{"--solver", "als", "--y-range", "0,5.5"},
       "option --y-range: --solver als needs none (it solves least squares of the linear prediction)"},
      {{"--solver", "als", "--lambda-f", "0"}, "option --lambda-f: als needs a positive penalty, found 0"},
      {{"--solver", "sgd-blocks", "--lambda-b", "-1"}, "option --lambda-b: must be 0 or more, found -1"},
      {{"--solver", "sgd-blocks", "--rule", "adamw"},
       "unknown update rule \"adamw\" (expected sgd, adagrad or adam)"},
      {{"--solver", "sgd-blocks", "--lr", "0"}, "option --lr: must be positive, found 0"},
      {{"--solver", "sgd-blocks", "--epochs", "0"}, "option --epochs: must be at least 1, found 0"},
      {{"--solver", "sgd-blocks", "--blocks", "4"},
       "block grid: 4 bands do not fit 3 users and 3 items (1 to 3 bands)"},
      {{"--solver", "sgd-blocks", "--model", "nn"}, "sgd-blocks: trains dot and dotbias models, not nn"},
      {{"--solver", "als", "--resume", out}, "option --resume does not apply to --solver als"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"train", "--train", tiny, "--out", out};
    args.insert(args.end(), c.options.begin(), c.options.end());
    Outcome r = cofi(args);
    EXPECT_EQ(r.code, 1) << c.message << "\n" << r;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << r;
    EXPECT_FALSE(fs::exists(out)) << "no model is saved after " << c.message;
  }
}

// ---- train: resume and Ctrl-C ------------------------------------------------------------

TEST(TrainCli, ResumeContinuesTheHistory) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string model = (dir.path() / "m.cofi").string();
  Outcome r =
      cofi({"train", "--train", u1_base(), "--valid", u1_test(), "--epochs", "2", "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;

  r = cofi(
      {"train", "--train", u1_base(), "--valid", u1_test(), "--resume", model, "--epochs", "1", "--quiet"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("resuming " + model + " after 2 epochs")) << r;
  std::vector<EpochRow> rows = epoch_rows(r.out);
  ASSERT_EQ(rows.size(), 1u) << r;
  EXPECT_EQ(rows[0].epoch, 2) << r;
  EXPECT_THAT(r.out, HasSubstr("model saved to " + model)) << r;

  Outcome inspect = cofi({"inspect", model});
  ASSERT_EQ(inspect.code, 0) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("history      3 epochs\n")) << inspect;
  EXPECT_THAT(inspect.out, HasSubstr("\n  2      ")) << inspect;
}

TEST(TrainCli, ResumeRejectsUsersTheModelLacks) {
  TempDir dir;
  const std::string model = (dir.path() / "m.cofi").string();
  Outcome r =
      cofi({"train", "--train", tiny_ratings(dir).string(), "--epochs", "1", "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;
  const std::string before = read_file(model);

  const fs::path more = dir.path() / "more.csv";
  write_file(more, "userId,movieId,rating,timestamp\n1,10,4.0,1\n99,20,3.0,2\n");
  r = cofi({"train", "--train", more.string(), "--resume", model, "--epochs", "1", "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("users of the data are not in the model")) << r;
  EXPECT_THAT(r.err, HasSubstr("99")) << r;
  EXPECT_TRUE(read_file(model) == before) << "the model is left as it was";
}

TEST(TrainCli, CtrlCStopsAndSaves) {
  REQUIRE_DATA("ml-latest-small");
  TempDir dir;
  const std::string model = (dir.path() / "m.cofi").string();
  CliProcess run({"train", "--data", "ml-latest-small", "--epochs", "50", "--out", model});
  ASSERT_GT(run.pid(), 0);
  // The first epoch row shows that the SIGINT handler is in place (it is set before training).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (epoch_rows(run.out()).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_FALSE(epoch_rows(run.out()).empty()) << "no epoch row after 30 s:\n" << run.out();
  ASSERT_EQ(::kill(run.pid(), SIGINT), 0);
  Outcome r = run.wait(std::chrono::seconds(60));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("stopped by Ctrl-C")) << r;
  ASSERT_TRUE(fs::exists(model)) << r;

  Outcome inspect = cofi({"inspect", model});
  ASSERT_EQ(inspect.code, 0) << inspect;
  const std::string history = inspect.out.substr(inspect.out.find("\nhistory"));
  std::vector<EpochRow> epochs = epoch_rows(history);
  ASSERT_FALSE(epochs.empty()) << inspect;
  EXPECT_LT(epochs.size(), 50u) << inspect;
  EXPECT_THAT(history, HasSubstr("(interrupted)")) << inspect;
}

// ---- lr-find and help --------------------------------------------------------------------

TEST(LrFindCli, SuggestsRatesAndPlots) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string plot = (dir.path() / "lr.svg").string();
  Outcome r = cofi({"lr-find", "--train", u1_base(), "--plot", plot});
  ASSERT_EQ(r.code, 0) << r;
  const size_t at = r.out.find("suggested learning rates\n");
  ASSERT_NE(at, std::string::npos) << r;
  std::istringstream in(r.out.substr(at));
  std::string line;
  std::getline(in, line);
  for (const char* name : {"valley", "minimum", "steep"}) {
    std::string word, number;
    ASSERT_TRUE(std::getline(in, line)) << r;
    std::istringstream words(line);
    words >> word >> number;
    EXPECT_EQ(word, name) << r;
    char* end = nullptr;
    const double lr = std::strtod(number.c_str(), &end);
    EXPECT_TRUE(!number.empty() && *end == '\0') << name << ": " << number;
    EXPECT_GE(lr, 1e-7) << name;
    EXPECT_LE(lr, 10) << name;
  }
  EXPECT_TRUE(is_svg(read_file(plot))) << read_file(plot).substr(0, 200);
}

TEST(TrainCli, HelpListsTheTrainingOptions) {
  Outcome r = cofi({"help", "train"});
  ASSERT_EQ(r.code, 0) << r;
  for (const char* option : {"--resume", "--keep-last", "--wd-bn-bias", "--dense", "--metrics", "--plot"})
    EXPECT_THAT(r.out, HasSubstr(option)) << r;
}

}  // namespace
}  // namespace cofi::cli_test
