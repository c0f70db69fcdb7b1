// cofi train: the recipe end to end. Loads train and validation ratings (two files, or one data set
// split by --valid-pct), builds the model, fits it, prints fastai's epoch table, and saves the model.
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands_impl.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "cofi/train/trainer.h"
#include "plot_svg.h"
#include "train_options.h"
#include "progress.h"

namespace cofi::cli {

namespace {

std::atomic<bool> g_stop{false};

// First Ctrl-C: stop after the current batch and save what was trained. Second: the default.
void on_sigint(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);
}

nlohmann::json settings_json(const Args& args, const ModelConfig& c, const TrainConfig& t) {
  nlohmann::json j;
  j["model"] = to_string(c.kind);
  j["user_factors"] = c.user_factors;
  j["item_factors"] = c.item_factors;
  j["y_range"] = c.y_range ? nlohmann::json::array({c.y_min, c.y_max}) : nlohmann::json(nullptr);
  if (c.kind == ModelKind::nn) {
    j["layers"] = c.hidden;
    j["dropout"] = c.dropout;
    j["emb_dropout"] = c.embed_dropout;
    j["batch_norm"] = c.batch_norm;
  }
  j["optimizer"] = to_string(t.optimizer.kind);
  j["lr"] = t.schedule.lr;
  j["wd"] = t.optimizer.wd;
  j["decoupled_wd"] = t.optimizer.decoupled_wd;
  j["lazy"] = t.optimizer.lazy;
  j["momentum"] = t.schedule.mom;
  j["schedule"] = to_string(t.schedule.kind);
  j["epochs"] = t.epochs;
  j["batch_size"] = t.batch_size;
  j["seed"] = t.seed;
  if (args.has("data")) {
    j["valid_pct"] = args.number("valid-pct");
    j["split_seed"] = args.count("split-seed");
  }
  return j;
}

// The settings of a large-data solver, in the same JSON as the minibatch solver's where they mean
// the same thing.
nlohmann::json scale_settings_json(const Args& args, const ModelConfig& c, const ScaleSettings& s) {
  nlohmann::json j;
  j["model"] = to_string(c.kind);
  j["user_factors"] = c.user_factors;
  j["item_factors"] = c.item_factors;
  j["y_range"] = c.y_range ? nlohmann::json::array({c.y_min, c.y_max}) : nlohmann::json(nullptr);
  j["solver"] = to_string(s.solver);
  if (s.solver == Solver::sgd_blocks) {
    j["rule"] = to_string(s.sgd.rule);
    j["lr"] = s.sgd.lr == 0 ? default_lr(s.sgd.rule) : s.sgd.lr;
    j["lambda_f"] = s.sgd.lambda_f;
    j["lambda_b"] = s.sgd.lambda_b;
    j["blocks"] = s.sgd.bands;
    j["threads"] = s.sgd.threads;
    j["epochs"] = s.sgd.epochs;
    j["seed"] = s.sgd.seed;
  } else {
    j["lambda_f"] = s.als.lambda_f;
    j["lambda_b"] = s.als.lambda_b;
    j["threads"] = s.als.threads;
    j["epochs"] = s.als.sweeps;
    j["seed"] = s.als.seed;
  }
  if (args.has("data")) {
    j["valid_pct"] = args.number("valid-pct");
    j["split_seed"] = args.count("split-seed");
  }
  return j;
}

std::string clock_of(double seconds) {
  int s = static_cast<int>(std::lround(seconds));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", s / 60, s % 60);
  return buf;
}

}  // namespace

int run_train(const Args& args) {
  const Solver solver = parse_solver(args.str("solver"));
  check_solver_options(args);
  // The large-data solvers never read timestamps: 8 bytes a rating less from the load on.
  TrainData data = load_train_data(args, solver == Solver::minibatch);
  TrainConfig tc = solver == Solver::minibatch ? train_config_from(args) : TrainConfig{};
  const bool has_valid = data.valid.size() > 0;
  // --resume: train a saved model some more, as the recipe calls fit_one_cycle again. The data is
  // re-indexed into the model's ids; the optimizer starts afresh with the new schedule.
  std::unique_ptr<Model> model;
  std::vector<EpochResult> earlier;
  std::string previous_settings;
  std::string out = args.str("out");
  ScaleSettings scale;
  ModelConfig scale_model;
  if (solver != Solver::minibatch) {
    scale_model = model_config_from(args, data.train);
    scale = scale_settings_from(args, scale_model, data.train.size());
  } else if (args.has("resume")) {
    SavedModel saved = load_model(args.str("resume"));
    data.train = reindex_into(data.train, saved.users, saved.items);
    if (has_valid) data.valid = reindex_into(data.valid, saved.users, saved.items);
    model = std::move(saved.model);
    earlier = std::move(saved.record.history);
    previous_settings = saved.record.settings;
    if (out.empty()) out = args.str("resume");
    std::printf("resuming %s after %zu epochs\n", args.str("resume").c_str(), earlier.size());
  } else {
    model = Model::create(model_config_from(args, data.train), tc.seed);
  }
  const ModelConfig& config = model ? model->config() : scale_model;
  std::printf("training %s on %zu ratings (%zu users, %zu items)%s\n", to_string(config.kind), data.train.size(),
              data.train.n_users(), data.train.n_items(),
              has_valid ? (", validating on " + std::to_string(data.valid.size())).c_str() : "");
  if (solver == Solver::sgd_blocks) {
    const SgdBlocksConfig& c = scale.sgd;
    std::printf("sgd-blocks: %s, lr %g, lambda_f %g, lambda_b %g, %u threads, %u x %u blocks, %s kernels\n",
                to_string(c.rule), c.lr == 0 ? default_lr(c.rule) : c.lr, c.lambda_f, c.lambda_b, c.threads,
                c.bands, c.bands, to_string(resolve_kernel_isa(c.kernels)));
  } else if (solver == Solver::als) {
    std::printf("als: lambda_f %g, lambda_b %g, %u threads\n", scale.als.lambda_f, scale.als.lambda_b,
                scale.als.threads);
  }

  std::printf("%-7s%-12s%-12s%-12s%s\n", "epoch", "train_loss", "valid_mse", "valid_rmse", "time");

  ProgressBar bar(!args.flag("quiet"));
  std::vector<double> batch_losses;
  TrainCallbacks cb;
  cb.on_batch = [&](uint64_t step, uint64_t total, double loss) {
    batch_losses.push_back(loss);
    bar.update(step, total);
  };
  const auto offset = static_cast<uint32_t>(earlier.size());
  cb.on_epoch = [&](const EpochResult& r) {
    bar.clear();
    if (r.has_valid)
      std::printf("%-7u%-12.6f%-12.6f%-12.6f%s%s\n", offset + r.epoch - 1, r.train_loss, r.valid_mse, r.valid_rmse,
                  clock_of(r.seconds).c_str(), r.interrupted ? "  (interrupted)" : "");
    else
      std::printf("%-7u%-12.6f%-12s%-12s%s%s\n", offset + r.epoch - 1, r.train_loss, "-", "-", clock_of(r.seconds).c_str(),
                  r.interrupted ? "  (interrupted)" : "");
    std::fflush(stdout);
  };
  g_stop = false;
  cb.stop = &g_stop;
  auto previous = std::signal(SIGINT, on_sigint);
  std::vector<EpochResult> history;
  const Ratings* valid = has_valid ? &data.valid : nullptr;
  if (solver == Solver::minibatch) {
    history = fit(*model, data.train, valid, tc, cb);
  } else {
    ScaleFit f = solver == Solver::sgd_blocks ? fit_sgd_blocks(scale_model, data.train, valid, scale.sgd, cb)
                                              : fit_als(scale_model, data.train, valid, scale.als, cb);
    model = std::move(f.model);
    history = std::move(f.history);
  }
  std::signal(SIGINT, previous);
  if (g_stop)
    std::printf("stopped by Ctrl-C after %zu %s; saving what was trained\n", batch_losses.size(),
                solver == Solver::minibatch    ? "batches"
                : solver == Solver::sgd_blocks ? "blocks"
                                               : "sweeps");

  nlohmann::json settings = solver == Solver::minibatch ? settings_json(args, config, tc)
                                                        : scale_settings_json(args, config, scale);
  // After --resume the settings of the earlier runs stay with the model, newest first.
  if (!previous_settings.empty()) settings["previous"] = nlohmann::json::parse(previous_settings, nullptr, false);
  for (auto& r : history) r.epoch += offset;
  history.insert(history.begin(), earlier.begin(), earlier.end());
  if (!out.empty()) {
    SavedModel saved;
    saved.users = data.train.users;
    saved.items = data.train.items;
    saved.record.settings = settings.dump();
    saved.record.history = history;
    saved.record.data_source = data.source;
    saved.record.n_ratings = data.train.size();
    double sum = 0;
    for (float r : data.train.rating) sum += r;
    saved.record.rating_mean = sum / static_cast<double>(data.train.size());
    saved.model = std::move(model);
    save_model(out, saved);
    std::printf("model saved to %s\n", out.c_str());
  }
  if (args.has("metrics")) {
    nlohmann::json m;
    m["settings"] = settings;
    m["train_ratings"] = data.train.size();
    m["valid_ratings"] = data.valid.size();
    m["epochs"] = nlohmann::json::array();
    for (const auto& r : history) {
      nlohmann::json e = {{"epoch", r.epoch}, {"train_loss", r.train_loss}, {"seconds", r.seconds},
                          {"train_seconds", r.train_seconds},
                          {"ratings_per_second", static_cast<double>(data.train.size()) / r.train_seconds},
                          {"interrupted", r.interrupted}};
      if (r.has_valid) {
        e["valid_mse"] = r.valid_mse;
        e["valid_rmse"] = r.valid_rmse;
      }
      m["epochs"].push_back(e);
    }
    m["batch_losses"] = batch_losses;
    write_text_atomically(args.str("metrics"), m.dump(2) + "\n");
  }
  if (args.has("plot")) {
    std::vector<double> valid_x, valid_y;
    // This run's epochs only: the batch losses of earlier runs (before --resume) are not kept.
    uint64_t per_epoch = batch_losses.size() / std::max<size_t>(1, history.size() - offset);
    for (const auto& r : history)
      if (r.has_valid && r.epoch > offset) {
        valid_x.push_back(static_cast<double>((r.epoch - offset) * per_epoch));
        valid_y.push_back(r.valid_mse);
      }
    write_text_atomically(args.str("plot"), loss_curves_svg(batch_losses, valid_x, valid_y));
  }
  return 0;
}

}  // namespace cofi::cli
