#include "feature_options.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "cofi/data/dataset.h"
#include "cofi/data/features.h"
#include "cofi/data/registry.h"
#include "cofi/error.h"
#include "commands_impl.h"
#include "text_format.h"

namespace cofi::cli {

const std::vector<OptionSpec>& feature_options() {
  static const std::vector<OptionSpec> options = {
      {"--side-data", "DATA",
       "hybrid, content: users, items and tags from this data set or MovieLens folder (default: the training "
       "data's own)",
       ""},
      {"--user-features", "FILE", "hybrid: more user features, lines ID,FEATURE[,WEIGHT]", ""},
      {"--item-features", "FILE", "hybrid, content: more item features, lines ID,FEATURE[,WEIGHT]", ""},
      {"--features", "LIST",
       "built-in features: any of genres, decades, tags, demographics (every user attribute) or user "
       "attributes "
       "by name (gender, age, occupation, zip, or a users.csv column)",
       "genres,decades,tags,demographics"},
      {"--feature-weights", "HOW",
       "row: each user's and item's built-in weights sum to 1; group: each group's do (a movie's genres "
       "share 1); "
       "one: each genre, decade and attribute weighs 1 (tags still share 1)",
       "row"},
      {"--min-tag-items", "N", "a tag becomes a feature when applied to at least N items", "2"},
      {"--zip-digits", "N", "demographics: leading characters of a zip code kept (0: no zip feature)", "0"},
  };
  return options;
}

namespace {

struct Groups {
  bool genres = false, decades = false, tags = false;
  bool demographics = false;            // every user attribute
  std::vector<std::string> attributes;  // or these
};

Groups parse_groups(const std::string& text) {
  Groups g;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (part == "genres")
      g.genres = true;
    else if (part == "decades")
      g.decades = true;
    else if (part == "tags")
      g.tags = true;
    else if (part == "demographics")
      g.demographics = true;
    else if (!part.empty())
      g.attributes.push_back(part);  // a user attribute, checked against the users file
  }
  return g;
}

// A folder (or a file in one) with MovieLens side files, or nothing.
std::optional<Dataset> side_dataset(const std::string& name_or_path, bool explicit_choice) {
  LoadOptions lo;
  lo.side_data = true;
  const std::string source = resolve_dataset(name_or_path);
  try {
    Layout layout = detect_layout(source);
    if (layout == Layout::delimited) {
      if (explicit_choice)
        throw Error("--side-data " + name_or_path + ": not a MovieLens folder with side files");
      return std::nullopt;
    }
  } catch (const Error&) {
    if (explicit_choice) throw;
    return std::nullopt;
  }
  return load_dataset(source, lo);
}

std::string sizes(const FeatureTable& t) {
  return with_commas(t.size()) + " with " + with_commas(t.features.names.size()) + " features";
}

}  // namespace

ModelFeatures prepare_features(const Args& args, TrainData& data, ModelConfig& config) {
  ModelFeatures out;
  if (!uses_features(config.kind)) return out;
  const bool hybrid = config.kind == ModelKind::hybrid;
  const Groups g = parse_groups(args.str("features"));
  const bool explicit_side = args.has("side-data");
  std::optional<Dataset> side =
      side_dataset(explicit_side ? args.str("side-data") : data.source, explicit_side);

  FeatureTable users, items;
  ItemFeatureOptions io;
  io.genres = g.genres;
  io.decades = g.decades;
  io.tags = g.tags;
  io.min_tag_items = static_cast<uint32_t>(args.count("min-tag-items"));
  io.split_genres = args.str("feature-weights") != "one";
  if (side && (side->items || side->tags))
    items = item_features(side->items ? &*side->items : nullptr, side->tags ? &*side->tags : nullptr, io);
  const std::string weights = args.str("feature-weights");
  if (weights != "row" && weights != "group" && weights != "one")
    throw Error("option --feature-weights: expected row, group or one, found " + quote_token(weights));
  if (weights == "row") normalize_rows(items);
  UserFeatureOptions uo;
  uo.zip_digits = static_cast<uint32_t>(args.count("zip-digits"));
  if (!g.demographics) uo.attributes = g.attributes;
  if (hybrid && side && side->users && (g.demographics || !g.attributes.empty())) {
    for (const auto& a : uo.attributes)
      if (std::find(side->users->attribute_names.begin(), side->users->attribute_names.end(), a) ==
          side->users->attribute_names.end()) {
        std::string known = "genres, decades, tags, demographics";
        for (const auto& n : side->users->attribute_names) known += ", " + n;
        throw Error("option --features: unknown feature group " + quote_token(a) + " (expected " + known +
                    ")");
      }
    users = user_features(*side->users, uo);
    if (weights == "row") normalize_rows(users);
  }
  if (args.has("item-features")) items = merge_features(items, read_feature_file(args.str("item-features")));
  if (args.has("user-features")) {
    if (!hybrid) throw Error("--user-features: a content model uses item features only");
    users = merge_features(users, read_feature_file(args.str("user-features")));
  }

  // Every user and item the features describe becomes a model row.
  IdMap user_ids = hybrid && users.size() > 0 ? union_ids(data.train.users, users.ids) : data.train.users;
  IdMap item_ids = items.size() > 0 ? union_ids(data.train.items, items.ids) : data.train.items;
  if (data.valid.size() > 0) {
    user_ids = union_ids(user_ids, data.valid.users);
    item_ids = union_ids(item_ids, data.valid.items);
    data.valid = reindex_into(data.valid, user_ids, item_ids);
  }
  data.train = reindex_into(data.train, user_ids, item_ids);
  config.n_users = static_cast<uint32_t>(user_ids.size());
  config.n_items = static_cast<uint32_t>(item_ids.size());
  size_t users_matched = 0, items_matched = 0;
  if (hybrid) {
    out.users = align_features(users, user_ids, &users_matched);
    config.user_features = static_cast<uint32_t>(out.users.names.size());
  }
  out.items = align_features(items, item_ids, &items_matched);
  config.item_features = static_cast<uint32_t>(out.items.names.size());
  out.summary = "features: items " + sizes(items) + " (" + with_commas(items_matched) + " model items)";
  if (hybrid) out.summary += "; users " + sizes(users) + " (" + with_commas(users_matched) + " model users)";
  validate(config);
  return out;
}

void apply_features(Model& model, ModelFeatures features, const Ratings& train) {
  const ModelConfig& c = model.config();
  if (!uses_features(c.kind)) return;
  if (c.kind == ModelKind::hybrid) model.set_features(Side::user, std::move(features.users));
  model.set_features(Side::item, std::move(features.items));
  if (c.kind != ModelKind::hybrid) return;
  std::vector<uint8_t> user_rated(c.n_users, 0), item_rated(c.n_items, 0);
  for (uint32_t u : train.user) user_rated[u] = 1;
  for (uint32_t i : train.item) item_rated[i] = 1;
  for (Parameter& p : model.parameters()) {
    if (!p.sparse) continue;
    const auto& rated = p.key == RowKey::user ? user_rated : item_rated;
    for (uint32_t r = 0; r < p.rows; ++r)
      if (!rated[r]) std::fill(p.row(r), p.row(r) + p.cols, 0.0f);
  }
}

}  // namespace cofi::cli
