// cofi inspect: what a model file holds and how it was made, without any data.
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "cofi/io/run_checkpoint.h"
#include "commands_impl.h"
#include "text_format.h"

namespace cofi::cli {

namespace {

template <class T>
std::string joined(const std::vector<T>& v) {
  std::string out;
  char buf[32];
  for (const T& x : v) {
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(x));
    out += (out.empty() ? "" : ", ") + std::string(buf);
  }
  return out;
}

const char* id_kind(const IdMap& m) { return m.kind() == IdMap::Kind::integer ? "integers" : "strings"; }

std::string clock_of(double seconds) {
  int s = static_cast<int>(std::lround(seconds));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", s / 60, s % 60);
  return buf;
}

// The settings JSON as "key  value" lines; anything else as it is.
void print_settings(const std::string& text) {
  if (text.empty()) {
    std::printf("  (none recorded)\n");
    return;
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    std::printf("  %s\n", text.c_str());
    return;
  }
  size_t width = 0;
  for (auto& [key, value] : j.items()) width = std::max(width, key.size());
  for (auto& [key, value] : j.items()) {
    std::string v = value.is_string() ? value.get<std::string>() : value.dump();
    std::printf("  %-*s  %s\n", static_cast<int>(width), key.c_str(), v.c_str());
  }
}

}  // namespace

int run_inspect(const Args& args) {
  const std::string path = args.str("MODEL");
  ModelFileInfo info;
  SavedModel m = load_model(path, &info);
  const ModelConfig& c = m.model->config();

  std::printf("model file   %s\n", path.c_str());
  std::printf("file size    %s bytes\n", with_commas(info.bytes).c_str());
  std::printf("format       version %u\n", info.version);
  std::printf("kind         %s\n", to_string(c.kind));
  std::printf("users        %s (ids: %s)\n", with_commas(c.n_users).c_str(), id_kind(m.users));
  std::printf("items        %s (ids: %s)\n", with_commas(c.n_items).c_str(), id_kind(m.items));
  if (c.kind == ModelKind::content)
    std::printf("factors      none (profiles over the item features)\n");
  else if (c.user_factors == c.item_factors)
    std::printf("factors      %u\n", c.user_factors);
  else
    std::printf("factors      %u (users), %u (items)\n", c.user_factors, c.item_factors);
  // hybrid and content: the feature vocabularies, and how many rows have features.
  for (Side side : {Side::user, Side::item}) {
    const Features& f = m.model->features(side);
    if (f.names.empty()) continue;
    size_t with = 0;
    for (size_t r = 0; r < f.rows(); ++r) with += !f.index_of(r).empty();
    std::string sample;
    for (size_t k = 0; k < f.names.size() && k < 4; ++k) sample += (k ? ", " : "") + f.names[k];
    std::printf("%-13s%s (%s, ...); %s of %s rows have some\n",
                side == Side::user ? "user feats" : "item feats", with_commas(f.names.size()).c_str(),
                sample.c_str(), with_commas(with).c_str(), with_commas(f.rows()).c_str());
  }
  if (c.kind == ModelKind::nn) {
    std::printf("hidden       %s\n", c.hidden.empty() ? "none" : joined(c.hidden).c_str());
    std::printf("dropout      %s; embeddings %g\n", c.dropout.empty() ? "none" : joined(c.dropout).c_str(),
                static_cast<double>(c.embed_dropout));
    std::printf("batch norm   %s\n", c.batch_norm ? "yes" : "no");
  }
  if (c.y_range)
    std::printf("y_range      %g to %g\n", static_cast<double>(c.y_min), static_cast<double>(c.y_max));
  else
    std::printf("y_range      off\n");

  uint64_t total = 0;
  size_t width = 4;
  for (const auto& p : m.model->parameters()) {
    total += p.value.size();
    width = std::max(width, p.name.size());
  }
  std::printf("\nparameters   %s values\n", with_commas(total).c_str());
  std::printf("  %-*s  %-12s  %-9s  %12s  %12s\n", static_cast<int>(width), "name", "shape", "kind", "mean",
              "std");
  for (const auto& p : m.model->parameters()) {
    double sum = 0, sq = 0;
    for (float x : p.value) sum += x;
    const double n = static_cast<double>(std::max<size_t>(p.value.size(), 1));
    const double mean = sum / n;
    for (float x : p.value) sq += (x - mean) * (x - mean);
    std::string shape = std::to_string(p.rows) + "x" + std::to_string(p.cols);
    const char* kind = !p.trainable ? "buffer" : p.sparse ? "table" : "dense";
    std::printf("  %-*s  %-12s  %-9s  %12.6f  %12.6f\n", static_cast<int>(width), p.name.c_str(),
                shape.c_str(), kind, mean, std::sqrt(sq / n));
  }

  const TrainingRecord& r = m.record;
  std::printf("\ntraining settings\n");
  print_settings(r.settings);
  std::printf("\ndata source  %s\n", r.data_source.empty() ? "(not recorded)" : r.data_source.c_str());
  std::printf("ratings      %s, mean %.4f\n", with_commas(r.n_ratings).c_str(), r.rating_mean);
  if (m.history.empty())
    std::printf("kept         no training ratings (recommend cannot leave out what users rated)\n");
  else
    std::printf("kept         %s training ratings of %s users\n", with_commas(m.history.size()).c_str(),
                with_commas(m.history.n_users()).c_str());
  size_t titled = 0;
  for (const auto& t : m.catalog.titles) titled += !t.empty();
  std::printf("catalog      titles for %s of %s items, %zu genres%s\n", with_commas(titled).c_str(),
              with_commas(c.n_items).c_str(), m.catalog.genre_names.size(),
              m.catalog.rating_counts.empty() ? "" : ", rating counts");

  std::printf("\nhistory      %zu epoch%s\n", r.history.size(), r.history.size() == 1 ? "" : "s");
  if (!r.history.empty()) {
    std::printf("  %-7s%-12s%-12s%-12s%s\n", "epoch", "train_loss", "valid_mse", "valid_rmse", "time");
    for (const auto& e : r.history) {
      // 0-based, as fastai's table and `cofi train` print it.
      if (e.has_valid)
        std::printf("  %-7u%-12.6f%-12.6f%-12.6f%s%s\n", e.epoch - 1, e.train_loss, e.valid_mse, e.valid_rmse,
                    clock_of(e.seconds).c_str(), e.interrupted ? "  (interrupted)" : "");
      else
        std::printf("  %-7u%-12.6f%-12s%-12s%s%s\n", e.epoch - 1, e.train_loss, "-", "-",
                    clock_of(e.seconds).c_str(), e.interrupted ? "  (interrupted)" : "");
    }
  }

  if (m.optimizer_state.empty()) {
    std::printf("\nrun          finished (no state saved)\n");
  } else {
    // A checkpoint of an unfinished run (cofi train), or state this build does not read.
    try {
      RunCheckpoint run = decode_run_checkpoint(
          std::string_view(reinterpret_cast<const char*>(m.optimizer_state.data()), m.optimizer_state.size()),
          path);
      std::printf("\nrun          unfinished: %u of %u epochs done", run.state.progress.epochs_done,
                  run.run.epochs);
      if (run.state.progress.batches_done > 0)
        std::printf(" and %s batches of the next", with_commas(run.state.progress.batches_done).c_str());
      std::printf("; `cofi train --resume %s` finishes it\n", path.c_str());
      std::printf("             %s bytes of optimizer state at step %s of %s\n",
                  with_commas(m.optimizer_state.size()).c_str(), with_commas(run.state.optimizer.t).c_str(),
                  with_commas(run.run.total_steps).c_str());
    } catch (const Error& e) {
      std::printf("\nrun          %s bytes of optimizer state this build cannot resume from (%s)\n",
                  with_commas(m.optimizer_state.size()).c_str(), e.what());
    }
  }
  std::printf("\nsections\n");
  for (const auto& s : info.sections)
    std::printf("  %-16s at %-12s %s bytes%s\n", s.name.c_str(), with_commas(s.offset).c_str(),
                with_commas(s.bytes).c_str(), s.known ? "" : " (unknown to this build, skipped)");
  std::printf("  checksum         CRC-32 %08x\n", info.checksum);
  return 0;
}

}  // namespace cofi::cli
