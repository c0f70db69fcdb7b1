#include "model_use.h"

#include <cstdio>
#include <fstream>

#include "cofi/data/dataset.h"
#include "cofi/error.h"
#include "text_format.h"

namespace cofi::cli {

const std::vector<OptionSpec>& model_use_options() {
  static const std::vector<OptionSpec> options = {
      {"--model", "FILE", "model file (written by `cofi train --out`)", "", true},
      {"--items", "DATA", "take item titles and genres from this data set, folder or item file", ""},
  };
  return options;
}

SavedModel load_model_for_use(const Args& args) {
  SavedModel m = load_model(args.str("model"));
  if (args.has("items")) {
    std::vector<uint32_t> counts = std::move(m.catalog.rating_counts);
    size_t matched = 0;
    m.catalog = catalog_from(m.items, load_items(args.str("items")), &matched);
    m.catalog.rating_counts = std::move(counts);
    if (matched == 0)
      throw Error("--items " + args.str("items") + ": none of its items are among the model's " +
                  with_commas(m.items.size()) + " items");
  }
  return m;
}

namespace {

uint32_t row_of(const IdMap& ids, const std::string& raw, const char* what) {
  if (auto row = ids.find(raw)) return *row;
  std::string range =
      ids.size() == 0 ? "none" : ids.raw(0) + " to " + ids.raw(static_cast<uint32_t>(ids.size() - 1));
  throw Error(std::string(what) + " " + quote_token(raw) + " is not in the model (its " +
              with_commas(ids.size()) + " " + what + " ids run from " + range + ")");
}

}  // namespace

uint32_t user_row(const SavedModel& m, const std::string& raw) { return row_of(m.users, raw, "user"); }
uint32_t item_row(const SavedModel& m, const std::string& raw) { return row_of(m.items, raw, "item"); }

std::string item_name(const SavedModel& m, uint32_t row) { return m.catalog.title_or_id(row, m.items); }

std::string item_column(const SavedModel& m, uint32_t row) {
  if (m.catalog.genres.empty()) return item_name(m, row);
  return item_name(m, row) + "  [" + m.catalog.genre_text(row) + "]";
}

const char* item_column_header(const SavedModel& m) {
  return m.catalog.genres.empty() ? "title" : "title  [genres]";
}

std::vector<uint8_t> item_filter(const SavedModel& m, const Args& args) {
  std::vector<uint8_t> allowed;
  const size_t n = m.items.size();
  if (args.has("genre")) {
    if (m.catalog.genres.empty())
      throw Error("--genre: the model has no genres; give --items DATA to attach them");
    int g = m.catalog.find_genre(args.str("genre"));
    if (g < 0) {
      std::string names;
      for (const auto& name : m.catalog.genre_names) names += (names.empty() ? "" : ", ") + name;
      throw Error("--genre: unknown genre " + quote_token(args.str("genre")) +
                  " (the model's genres: " + names + ")");
    }
    allowed.assign(n, 0);
    for (size_t i = 0; i < n; ++i)
      for (uint16_t x : m.catalog.genres[i])
        if (x == g) allowed[i] = 1;
  }
  if (args.has("exclude")) {
    const std::string path = args.str("exclude");
    std::ifstream in(path);
    if (!in) throw Error(Location{path, 0, {}}, "cannot open the exclusion list");
    if (allowed.empty()) allowed.assign(n, 1);
    size_t unknown = 0, line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string id = line.substr(0, line.find(','));  // an item id per line, or a CSV's first column
      if (id.empty() || id[0] == '#') continue;
      if (auto row = m.items.find(id))
        allowed[*row] = 0;
      else if (line_no > 1 || id.find_first_not_of("0123456789") == std::string::npos)
        ++unknown;  // a first line that is not an id is taken for a header
    }
    if (unknown > 0)
      std::fprintf(stderr, "note: %s ids in %s are not among the model's items\n",
                   with_commas(unknown).c_str(), path.c_str());
  }
  return allowed;
}

}  // namespace cofi::cli
