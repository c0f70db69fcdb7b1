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

#include "cofi/data/split.h"
#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "cofi/train/trainer.h"
#include "commands_impl.h"
#include "feature_options.h"
#include "plot_svg.h"
#include "progress.h"
#include "train_options.h"

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
  if (uses_features(c.kind)) {
    j["user_features"] = c.user_features;
    j["item_features"] = c.item_features;
    j["features"] = args.str("features");
    j["feature_weights"] = args.str("feature-weights");
    j["zip_digits"] = args.count("zip-digits");
    j["min_tag_items"] = args.count("min-tag-items");
    if (c.kind == ModelKind::hybrid) j["id_dropout"] = c.id_dropout;
    if (args.has("side-data")) j["side_data"] = args.str("side-data");
    if (args.has("user-features")) j["user_features_file"] = args.str("user-features");
    if (args.has("item-features")) j["item_features_file"] = args.str("item-features");
  }
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

std::string clock_of(double seconds) {
  int s = static_cast<int>(std::lround(seconds));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", s / 60, s % 60);
  return buf;
}

}  // namespace

int run_train(const Args& args) {
  TrainData data = load_train_data(args);
  TrainConfig tc = train_config_from(args);
  const bool has_valid = data.valid.size() > 0;
  // --resume: train a saved model some more, as the recipe calls fit_one_cycle again. The data is
  // re-indexed into the model's ids; the optimizer starts afresh with the new schedule.
  std::unique_ptr<Model> model;
  std::vector<EpochResult> earlier;
  std::string previous_settings;
  std::string out = args.str("out");
  if (args.has("resume")) {
    SavedModel saved = load_model(args.str("resume"));
    data.train = reindex_into(data.train, saved.users, saved.items);
    if (has_valid) data.valid = reindex_into(data.valid, saved.users, saved.items);
    model = std::move(saved.model);
    earlier = std::move(saved.record.history);
    previous_settings = saved.record.settings;
    if (out.empty()) out = args.str("resume");
    std::printf("resuming %s after %zu epochs\n", args.str("resume").c_str(), earlier.size());
  } else {
    ModelConfig config = model_config_from(args, data.train);
    ModelFeatures features = prepare_features(args, data, config);
    if (!features.summary.empty()) std::printf("%s\n", features.summary.c_str());
    model = Model::create(config, tc.seed);
    apply_features(*model, std::move(features), data.train);
  }
  const ModelConfig& config = model->config();
  std::printf("training %s on %zu ratings (%zu users, %zu items)%s\n", to_string(config.kind), data.train.size(),
              data.train.n_users(), data.train.n_items(),
              has_valid ? (", validating on " + std::to_string(data.valid.size())).c_str() : "");

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
  std::vector<EpochResult> history = fit(*model, data.train, has_valid ? &data.valid : nullptr, tc, cb);
  std::signal(SIGINT, previous);
  if (g_stop) std::printf("stopped by Ctrl-C after %zu batches; saving what was trained\n", batch_losses.size());

  nlohmann::json settings = settings_json(args, config, tc);
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
    // Titles and genres: --items, else --side-data's, else the training data's own folder when it
    // has an item file.
    std::optional<Items> items = args.has("items")       ? load_items(args.str("items"))
                                 : args.has("side-data") ? find_items(args.str("side-data"))
                                                         : find_items(data.source);
    size_t described = attach_training_data(saved, data.train, items ? &*items : nullptr, !args.flag("no-history"));
    if (items && described == 0)
      std::printf("warning: none of the %zu items in %s are among the model's items\n", items->size(),
                  args.has("items") ? args.str("items").c_str() : data.source.c_str());
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
