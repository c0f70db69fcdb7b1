#include "cofi/serve/model_state.h"

#include <chrono>

#include "cofi/error.h"
#include "cofi/recommend/explain.h"
#include "json_out.h"

namespace cofi::serve {

namespace {

std::string id_json(const IdMap& ids, uint32_t row) {
  return ids.kind() == IdMap::Kind::integer ? std::to_string(ids.raw_int(row)) : json_quote(ids.raw(row));
}

}  // namespace

std::string ModelState::user_json(uint32_t row) const { return id_json(saved.users, row); }
std::string ModelState::item_json(uint32_t row) const { return id_json(saved.items, row); }

std::string ModelState::info_json() const {
  const ModelConfig& c = model().config();
  const Catalog& cat = saved.catalog;
  std::string out = "{\"kind\":" + json_quote(to_string(c.kind));
  out += ",\"users\":" + std::to_string(c.n_users) + ",\"items\":" + std::to_string(c.n_items);
  // content has no factors: its items are their feature profiles.
  out += ",\"factors\":" + (c.kind == ModelKind::content ? std::string("null") : std::to_string(c.item_factors));
  out += ",\"user_features\":" + std::to_string(c.user_features);
  out += ",\"item_features\":" + std::to_string(c.item_features);
  out += ",\"rating_range\":";
  if (c.y_range) {
    out += "[";
    append_number(out, c.y_min);
    out += ",";
    append_number(out, c.y_max);
    out += "]";
  } else {
    out += "null";
  }
  out += ",\"training_ratings\":" + std::to_string(saved.record.n_ratings);
  out += ",\"rating_mean\":";
  append_number(out, saved.record.rating_mean);
  out += ",\"has_history\":" + std::string(saved.history.empty() ? "false" : "true");
  out += ",\"has_titles\":" + std::string(cat.has_titles() ? "true" : "false");
  out += ",\"has_item_bias\":" + std::string(item_bias.empty() ? "false" : "true");
  out += ",\"genres\":[";
  for (size_t g = 0; g < cat.genre_names.size(); ++g) out += (g ? "," : "") + json_quote(cat.genre_names[g]);
  out += "],\"fold_in_l2\":";
  append_number(out, recommender->fold_in_l2());
  out += ",\"source\":" + json_quote(source);
  out += ",\"generation\":" + std::to_string(generation);
  out += ",\"loaded_unix_ms\":" + std::to_string(loaded_unix_ms);
  out += ",\"load_seconds\":";
  append_number(out, load_seconds);
  out += "}";
  return out;
}

namespace {

std::shared_ptr<ModelState> build(SavedModel model, std::string source, uint64_t generation) {
  COFI_ASSERT(model.model);
  const ModelConfig& c = model.model->config();
  if (c.n_items == 0) throw Error(source + ": the model has no items to recommend");
  auto s = std::make_shared<ModelState>();
  s->saved = std::move(model);
  s->source = std::move(source);
  s->generation = generation;
  s->recommender = std::make_unique<Recommender>(s->saved);
  s->similar_items = std::make_unique<SimilarityIndex>(*s->saved.model, Side::item);

  const Catalog& cat = s->saved.catalog;
  s->item_bias = item_biases(*s->saved.model);

  s->item_fields.resize(c.n_items);
  for (uint32_t i = 0; i < c.n_items; ++i) {
    std::string& f = s->item_fields[i];
    f = "\"item\":" + s->item_json(i) + ",\"title\":";
    f += i < cat.titles.size() && !cat.titles[i].empty() ? json_quote(cat.titles[i]) : "null";
    f += ",\"year\":";
    f += i < cat.years.size() && cat.years[i] > 0 ? std::to_string(cat.years[i]) : "null";
    f += ",\"genres\":[";
    if (i < cat.genres.size())
      for (size_t g = 0; g < cat.genres[i].size(); ++g) {
        const uint16_t x = cat.genres[i][g];
        f += (g ? "," : "") + json_quote(x < cat.genre_names.size() ? cat.genre_names[x] : "?");
      }
    f += "],\"ratings\":";
    f += i < cat.rating_counts.size() ? std::to_string(cat.rating_counts[i]) : "null";
  }

  s->genre_allowed.assign(cat.genre_names.size(), std::vector<uint8_t>(c.n_items, 0));
  for (uint32_t i = 0; i < c.n_items && i < cat.genres.size(); ++i)
    for (uint16_t g : cat.genres[i])
      if (g < s->genre_allowed.size()) s->genre_allowed[g][i] = 1;

  const auto now = std::chrono::system_clock::now();
  s->loaded_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::shared_ptr<const ModelState> make_state(SavedModel model, std::string source, uint64_t generation) {
  const auto t0 = std::chrono::steady_clock::now();
  auto s = build(std::move(model), std::move(source), generation);
  s->load_seconds = seconds_since(t0);
  return s;
}

std::shared_ptr<const ModelState> load_state(const std::string& path, uint64_t generation) {
  const auto t0 = std::chrono::steady_clock::now();
  auto s = build(load_model(path), path, generation);
  s->load_seconds = seconds_since(t0);  // the whole load: reading and checking the file too
  return s;
}

}  // namespace cofi::serve
