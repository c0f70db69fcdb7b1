// cofi train: the recipe end to end. Loads train and validation ratings (two files, or one data set
// split by --valid-pct), builds the model, fits it, prints fastai's epoch table, and saves the model.
//
// Crash safety: with --out, the model is saved (atomically) after every --checkpoint-every epochs
// together with the run's state (the OPTM section, include/cofi/io/run_checkpoint.h), and on
// Ctrl-C or SIGTERM where it stopped. `--resume FILE` on such a file continues the unfinished run
// with its own settings, exactly as if it had not stopped; on a finished model it starts a new run
// from the model's weights (as fastai's fit_one_cycle called again).
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cofi/atomic_file.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "cofi/io/run_checkpoint.h"
#include "cofi/train/trainer.h"
#include "commands_impl.h"
#include "feature_options.h"
#include "plot_svg.h"
#include "progress.h"
#include "train_options.h"

namespace cofi::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

// First Ctrl-C (or SIGTERM, as a job scheduler sends it): stop after the current batch and save
// what was trained. A second one: the default action.
void on_stop_signal(int sig) {
  g_signal = sig;
  g_stop = true;
  std::signal(sig, SIG_DFL);
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

// Options that belong to one invocation, not to the run: a continued run takes them from its own
// command line, never from the checkpoint.
bool per_invocation(const std::string& key) {
  static const std::set<std::string> keys = {"resume",           "out",     "metrics", "plot", "quiet",
                                             "checkpoint-every", "threads", "no-cache"};
  return keys.count(key) > 0;
}

// Options that say where the data is: a continued run may find it elsewhere (the digest checks it
// is the same).
bool data_location(const std::string& key) { return key == "train" || key == "valid" || key == "data"; }

// The run's options as JSON, for the checkpoint: every value and flag but the per-invocation ones,
// data paths made absolute so that a resume from another folder finds them.
std::string run_options_json(const Args& args) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : args.values) {
    if (per_invocation(key)) continue;
    std::string v = value;
    std::error_code ec;
    if (data_location(key) && !v.empty() && std::filesystem::exists(v, ec))
      v = std::filesystem::absolute(v, ec).lexically_normal().string();
    j[key] = v;
  }
  for (const auto& [key, on] : args.flags)
    if (!per_invocation(key)) j[key] = on;
  return j.dump();
}

// The options a continued run trains with: the checkpoint's, with this command line's
// per-invocation options and data locations. Any other option given that differs from the run's
// is an error: the run can only be continued as it was planned.
Args continued_args(const Args& given, const std::string& stored, const std::string& model_path,
                    const RunCheckpoint& c) {
  nlohmann::json j = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    throw Error(model_path + ": the unfinished run's options are not readable (not a JSON object)");
  Args run = given;
  // The options that conflict, "--NAME VALUE (the run's: VALUE)" each: part of the message below.
  std::string message;
  auto differs = [&](const std::string& key, const std::string& mine, const std::string& theirs) {
    message += (message.empty() ? "" : ", ") + std::string("--") + key + " " + mine +
               " (the run's: " + (theirs.empty() ? "default" : theirs) + ")";
  };
  for (auto& [key, value] : run.values) {
    if (per_invocation(key)) continue;
    auto it = j.find(key);
    // An option this build has and the checkpoint lacks (a newer build): its default stands.
    if (it == j.end() || !it->is_string()) continue;
    const std::string theirs = it->get<std::string>();
    if (given.given(key) && !data_location(key) && value != theirs) differs(key, value, theirs);
    if (!given.given(key)) value = theirs;
  }
  for (auto& [key, on] : run.flags) {
    if (per_invocation(key)) continue;
    auto it = j.find(key);
    if (it == j.end() || !it->is_boolean()) continue;
    const bool theirs = it->get<bool>();
    if (given.given(key) && on != theirs) differs(key, on ? "(set)" : "(unset)", theirs ? "set" : "unset");
    on = theirs;
  }
  if (!message.empty())
    throw Error(model_path + " holds an unfinished run (" + std::to_string(c.state.progress.epochs_done) +
                " of " + std::to_string(c.run.epochs) +
                " epochs done), which --resume continues with its own settings; these options would change "
                "them: " +
                message +
                ". Leave them out to finish the run, then --resume the finished model with new settings");
  return run;
}

}  // namespace

int run_train(const Args& cmdline) {
  // Options of another solver are refused before anything is read (a continued run's own options
  // passed this check when it started).
  check_solver_options(cmdline);
  Args args = cmdline;
  std::unique_ptr<Model> model;
  std::vector<EpochResult> earlier;
  std::string previous_settings;
  std::string out = args.str("out");
  // An unfinished run read from --resume: it is continued rather than a new one started.
  std::optional<RunCheckpoint> continued;
  SavedModel saved;
  if (args.has("resume")) {
    const std::string path = args.str("resume");
    saved = load_model(path);
    if (!saved.optimizer_state.empty()) {
      continued =
          decode_run_checkpoint(std::string_view(reinterpret_cast<const char*>(saved.optimizer_state.data()),
                                                 saved.optimizer_state.size()),
                                path);
      args = continued_args(cmdline, continued->run.options, path, *continued);
    }
    if (out.empty()) out = path;
  }
  // An output that cannot be written fails now, not after the training.
  if (!out.empty()) AtomicFile probe(out);
  check_writable(args, {"metrics", "plot"});
  const Solver solver = parse_solver(args.str("solver"));
  check_solver_options(args);
  // The large-data solvers never read timestamps: 8 bytes a rating less from the load on.
  TrainData data = load_train_data(args, solver == Solver::minibatch);
  TrainConfig tc = solver == Solver::minibatch ? train_config_from(args) : TrainConfig{};
  const bool has_valid = data.valid.size() > 0;
  const uint64_t every = args.count("checkpoint-every");

  TrainState state;
  uint32_t offset = 0;  // epochs of the history before this run
  ScaleSettings scale;
  ModelConfig scale_model;
  if (solver != Solver::minibatch) {
    // (check_solver_options refuses --resume with these solvers.)
    scale_model = model_config_from(args, data.train);
    scale = scale_settings_from(args, scale_model, data.train.size());
  } else if (args.has("resume")) {
    const std::string path = args.str("resume");
    // The data is re-indexed into the model's ids.
    data.train = reindex_into(data.train, saved.users, saved.items);
    if (has_valid) data.valid = reindex_into(data.valid, saved.users, saved.items);
    model = std::move(saved.model);
    if (continued) {
      const RunInfo& run = continued->run;
      const RunSteps steps = run_steps(data.train.size(), tc);
      if (data.train.size() != run.n_ratings || training_data_digest(data.train) != run.data_digest ||
          steps.total != run.total_steps)
        throw Error(
            path + ": the training data is not the unfinished run's (" + std::to_string(data.train.size()) +
            " ratings here, " + std::to_string(run.n_ratings) +
            " in the run, or the same number with other values); the run continues only on its own data");
      if (continued->parameters.size() != model->parameters().size())
        throw Error(path + ": the run's state has " + std::to_string(continued->parameters.size()) +
                    " parameters, the model " + std::to_string(model->parameters().size()));
      for (size_t i = 0; i < continued->parameters.size(); ++i)
        if (continued->parameters[i] != model->parameters()[i].name)
          throw Error(path + ": the run's state is for parameter '" + continued->parameters[i] +
                      "' where the model has '" + model->parameters()[i].name + "'");
      state = std::move(continued->state);
      offset = run.history_before;
      // A stop inside an epoch left that epoch in the history as interrupted: it is run to its end now.
      earlier.assign(saved.record.history.begin(),
                     saved.record.history.begin() +
                         std::min<size_t>(saved.record.history.size(), offset + state.progress.epochs_done));
      previous_settings = saved.record.settings;
      std::printf("continuing the unfinished run in %s: %u of %u epochs done", path.c_str(),
                  state.progress.epochs_done, run.epochs);
      if (state.progress.batches_done > 0)
        std::printf(", and %llu of %llu batches of the next",
                    static_cast<unsigned long long>(state.progress.batches_done),
                    static_cast<unsigned long long>(steps.per_epoch));
      std::printf("\n");
    } else {
      // A finished model: a new run from its weights, the optimizer starting afresh.
      earlier = std::move(saved.record.history);
      offset = static_cast<uint32_t>(earlier.size());
      previous_settings = saved.record.settings;
      std::printf("resuming %s after %zu epochs\n", path.c_str(), earlier.size());
    }
  } else {
    ModelConfig config = model_config_from(args, data.train);
    ModelFeatures features = prepare_features(args, data, config);
    if (!features.summary.empty()) std::printf("%s\n", features.summary.c_str());
    model = Model::create(config, tc.seed);
    apply_features(*model, std::move(features), data.train);
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

  // The settings kept with the model: a continued run keeps its own; a new run records this one's,
  // and after --resume of a finished model those of the earlier runs, newest first.
  nlohmann::json settings;
  if (continued) {
    settings = nlohmann::json::parse(previous_settings, nullptr, false);
    if (settings.is_discarded()) settings = nlohmann::json::object();
  } else {
    settings = solver == Solver::minibatch ? settings_json(args, config, tc) : scale_settings_json(args, config, scale);
    if (!previous_settings.empty())
      settings["previous"] = nlohmann::json::parse(previous_settings, nullptr, false);
  }
  RunInfo run;
  // A continued run records its options again: the same settings, and the data where it was found.
  run.options = run_options_json(args);
  run.epochs = tc.epochs;
  run.history_before = offset;
  run.n_ratings = data.train.size();
  run.data_digest = training_data_digest(data.train);
  run.total_steps = run_steps(data.train.size(), tc).total;
  double rating_sum = 0;
  for (float r : data.train.rating) rating_sum += r;

  // This run's epochs so far, numbered within the run (offset added when saved or printed).
  std::vector<EpochResult> history;
  // The training ratings by user and the item catalog, computed once and saved with every
  // checkpoint. Titles and genres: --items, else --side-data's, else the training data's own folder
  // when it has them.
  SavedModel extras;
  if (!out.empty()) {
    extras.users = data.train.users;
    extras.items = data.train.items;
    std::optional<Items> items = args.has("items")       ? load_items(args.str("items"))
                                 : args.has("side-data") ? find_items(args.str("side-data"))
                                                         : find_items(data.source);
    size_t described = attach_training_data(extras, data.train, items ? &*items : nullptr, !args.flag("no-history"));
    if (items && described == 0)
      std::printf("warning: none of the %zu items in %s are among the model's items\n", items->size(),
                  args.has("items") ? args.str("items").c_str() : data.source.c_str());
  }
  auto saved_model = [&](const std::vector<EpochResult>& run_history) {
    SavedModel s;
    s.users = data.train.users;
    s.items = data.train.items;
    s.history = extras.history;
    s.catalog = extras.catalog;
    s.record.settings = settings.dump();
    s.record.history = earlier;
    for (EpochResult r : run_history) {
      r.epoch += offset;
      s.record.history.push_back(r);
    }
    s.record.data_source = data.source;
    s.record.n_ratings = data.train.size();
    s.record.rating_mean = rating_sum / static_cast<double>(data.train.size());
    return s;
  };
  // Saves the model (which fit is training: it is lent to the SavedModel for the write).
  auto save = [&](SavedModel& s) {
    s.model = std::move(model);
    try {
      save_model(out, s);
    } catch (...) {
      model = std::move(s.model);
      throw;
    }
    model = std::move(s.model);
  };

  ProgressBar bar(!args.flag("quiet"));
  std::vector<double> batch_losses;
  std::vector<size_t> epoch_ends;  // batch_losses.size() at the end of each epoch of this invocation
  TrainCallbacks cb;
  cb.on_batch = [&](uint64_t step, uint64_t total, double loss) {
    batch_losses.push_back(loss);
    bar.update(step, total);
  };
  cb.on_epoch = [&](const EpochResult& r) {
    bar.clear();
    history.push_back(r);
    epoch_ends.push_back(batch_losses.size());
    if (r.has_valid)
      std::printf("%-7u%-12.6f%-12.6f%-12.6f%s%s\n", offset + r.epoch - 1, r.train_loss, r.valid_mse,
                  r.valid_rmse, clock_of(r.seconds).c_str(), r.interrupted ? "  (interrupted)" : "");
    else
      std::printf("%-7u%-12.6f%-12s%-12s%s%s\n", offset + r.epoch - 1, r.train_loss, "-", "-",
                  clock_of(r.seconds).c_str(), r.interrupted ? "  (interrupted)" : "");
    std::fflush(stdout);
  };
  // A checkpoint after every `every` epochs but the last (the final save follows it at once).
  cb.on_checkpoint = [&](const TrainProgress& p, const OptimizerState& o) {
    if (out.empty() || every == 0 || p.epochs_done % every != 0 || p.epochs_done >= tc.epochs) return;
    SavedModel s = saved_model(history);
    s.optimizer_state = encode_run_checkpoint(run, p, o, model->parameters());
    try {
      save(s);
    } catch (const Error& e) {
      throw Error("saving the checkpoint after epoch " + std::to_string(offset + p.epochs_done - 1) + ": " +
                  e.what());
    }
  };
  g_stop = false;
  g_signal = 0;
  cb.stop = &g_stop;
  auto previous_int = std::signal(SIGINT, on_stop_signal);
  auto previous_term = std::signal(SIGTERM, on_stop_signal);
  const Ratings* valid = has_valid ? &data.valid : nullptr;
  if (solver == Solver::minibatch) {
    fit(*model, data.train, valid, tc, cb, &state);
  } else {
    ScaleFit f = solver == Solver::sgd_blocks ? fit_sgd_blocks(scale_model, data.train, valid, scale.sgd, cb)
                                              : fit_als(scale_model, data.train, valid, scale.als, cb);
    model = std::move(f.model);
    history = std::move(f.history);
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  // The large-data solvers have no resumable state: what they saved is final.
  const bool finished = solver != Solver::minibatch || state.progress.epochs_done >= tc.epochs;
  if (g_stop)
    std::printf("stopped by %s after %zu %s; saving what was trained\n", g_signal == SIGTERM ? "SIGTERM" : "Ctrl-C",
                batch_losses.size(),
                solver == Solver::minibatch    ? "batches"
                : solver == Solver::sgd_blocks ? "blocks"
                                               : "sweeps");

  if (!out.empty()) {
    SavedModel s = saved_model(history);
    // An unfinished run keeps its state, so that --resume can finish it.
    if (!finished)
      s.optimizer_state = encode_run_checkpoint(run, state.progress, state.optimizer, model->parameters());
    save(s);
    std::printf("model saved to %s\n", out.c_str());
    if (!finished) std::printf("to finish the run: cofi train --resume %s\n", out.c_str());
  }
  std::vector<EpochResult> all = saved_model(history).record.history;
  if (args.has("metrics")) {
    nlohmann::json m;
    m["settings"] = settings;
    m["train_ratings"] = data.train.size();
    m["valid_ratings"] = data.valid.size();
    m["epochs"] = nlohmann::json::array();
    for (const auto& r : all) {
      nlohmann::json e = {{"epoch", r.epoch},
                          {"train_loss", r.train_loss},
                          {"seconds", r.seconds},
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
    write_file_atomically(args.str("metrics"), m.dump(2) + "\n");
  }
  if (args.has("plot")) {
    // This invocation's epochs only: the batch losses of earlier ones are not kept.
    std::vector<double> valid_x, valid_y;
    for (size_t k = 0; k < history.size(); ++k)
      if (history[k].has_valid) {
        valid_x.push_back(static_cast<double>(epoch_ends[k]));
        valid_y.push_back(history[k].valid_mse);
      }
    write_file_atomically(args.str("plot"), loss_curves_svg(batch_losses, valid_x, valid_y));
  }
  return 0;
}

}  // namespace cofi::cli
