#include "cofi/data/dataset.h"

#include <filesystem>
#include <fstream>

#include "cofi/data/binary_cache.h"
#include "cofi/data/registry.h"
#include "cofi/data/split.h"
#include "cofi/error.h"

namespace fs = std::filesystem;

namespace cofi {

const char* to_string(Layout layout) {
  switch (layout) {
    case Layout::ml_latest: return "ml-latest";
    case Layout::ml_100k: return "ml-100k";
    case Layout::ml_1m: return "ml-1m";
    case Layout::ml_10m: return "ml-10m";
    case Layout::delimited: return "delimited";
  }
  return "?";
}

Layout parse_layout(const std::string& text) {
  for (Layout l : {Layout::ml_latest, Layout::ml_100k, Layout::ml_1m, Layout::ml_10m, Layout::delimited})
    if (text == to_string(l)) return l;
  if (text == "ml-20m" || text == "ml-25m" || text == "ml-32m" || text == "ml-latest-small")
    return Layout::ml_latest;
  throw Error("unknown layout '" + text + "': expected ml-latest, ml-100k, ml-1m, ml-10m or delimited");
}

RatingsFormat movielens_format(Layout layout) {
  RatingsFormat f;
  f.ids = IdKind::integer;
  f.fields = 4;
  switch (layout) {
    case Layout::ml_latest:
      f.name = "MovieLens ratings.csv";
      f.delimiter = ",";
      f.header = true;
      f.expected_header = {"userId", "movieId", "rating", "timestamp"};
      f.rating_min = 0.5f;
      f.rating_max = 5.0f;
      f.rating_step = 0.5f;
      break;
    case Layout::ml_100k:
      f.name = "MovieLens 100k u.data";
      f.delimiter = "\t";
      f.field_names = {"user id", "item id", "rating", "timestamp"};
      f.rating_min = 1.0f;
      f.rating_max = 5.0f;
      f.rating_step = 1.0f;
      break;
    case Layout::ml_1m:
    case Layout::ml_10m:
      f.name = "MovieLens ratings.dat";
      f.delimiter = "::";
      f.field_names = {"UserID", "MovieID", "Rating", "Timestamp"};
      f.rating_min = layout == Layout::ml_1m ? 1.0f : 0.5f;
      f.rating_max = 5.0f;
      f.rating_step = layout == Layout::ml_1m ? 1.0f : 0.5f;
      break;
    case Layout::delimited:
      throw Error("the delimited layout has no fixed format: give its delimiter and columns");
  }
  return f;
}

namespace {

bool has(const fs::path& dir, const char* file) { return fs::is_regular_file(dir / file); }

// The ratings file of a layout inside its folder.
const char* ratings_file(Layout layout) {
  switch (layout) {
    case Layout::ml_latest: return "ratings.csv";
    case Layout::ml_100k: return "u.data";
    case Layout::ml_1m:
    case Layout::ml_10m: return "ratings.dat";
    case Layout::delimited: return "";
  }
  return "";
}

Layout detect_in_folder(const fs::path& dir) {
  if (has(dir, "ratings.csv")) return Layout::ml_latest;
  if (has(dir, "u.data")) return Layout::ml_100k;
  if (has(dir, "ratings.dat")) return has(dir, "users.dat") ? Layout::ml_1m : Layout::ml_10m;
  throw Error(Location{dir.string(), 0, {}},
              "no MovieLens ratings file here (looked for ratings.csv, u.data, ratings.dat); "
              "for another file give its path, with --layout delimited and its --delimiter and --columns");
}

void load_side_data(Dataset& d, const fs::path& dir) {
  auto path = [&](const char* f) { return (dir / f).string(); };
  switch (d.layout) {
    case Layout::ml_latest:
      if (has(dir, "movies.csv")) {
        d.items = read_movies_csv(path("movies.csv"));
        if (has(dir, "links.csv")) read_links_csv(path("links.csv"), *d.items);
      }
      if (has(dir, "tags.csv")) d.tags = read_tags_csv(path("tags.csv"));
      if (has(dir, "users.csv")) d.users = read_users_csv(path("users.csv"));  // synth-movielens
      break;
    case Layout::ml_100k:
      if (has(dir, "u.item") && has(dir, "u.genre")) d.items = read_ml100k_items(path("u.item"), path("u.genre"));
      if (has(dir, "u.user"))
        d.users = read_ml100k_users(path("u.user"), has(dir, "u.occupation") ? path("u.occupation") : "");
      break;
    case Layout::ml_1m:
    case Layout::ml_10m:
      if (has(dir, "movies.dat")) d.items = read_movies_dat(path("movies.dat"));
      if (has(dir, "users.dat")) d.users = read_users_dat(path("users.dat"));
      if (has(dir, "tags.dat")) d.tags = read_tags_dat(path("tags.dat"));
      break;
    case Layout::delimited:
      break;
  }
}

void find_predefined_splits(Dataset& d, const fs::path& dir) {
  if (d.layout != Layout::ml_100k) return;
  for (const char* name : {"u1", "u2", "u3", "u4", "u5", "ua", "ub"}) {
    std::string base = std::string(name) + ".base", test = std::string(name) + ".test";
    if (has(dir, base.c_str()) && has(dir, test.c_str()))
      d.splits.push_back({name, (dir / base).string(), (dir / test).string()});
  }
}

Ratings read_with(const std::string& path, const RatingsFormat& format, const LoadOptions& options,
                  ReadReport& report, bool& from_cache) {
  from_cache = false;
  if (options.use_cache) return read_ratings_cached(path, format, options.read, &report, &from_cache);
  return read_ratings(path, format, options.read, &report);
}

// The first line of a file, without its line end (and without a UTF-8 BOM).
std::string first_line(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::getline(in, line);
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ml-latest's ratings header, with or without timestamps; what `cofi data split` writes too.
bool has_latest_header(const fs::path& file) {
  std::string h = first_line(file);
  return h == "userId,movieId,rating,timestamp" || h == "userId,movieId,rating";
}

}  // namespace

Layout detect_layout(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) return detect_in_folder(p);
  std::string base = p.filename().string();
  if (base == "ratings.csv" || has_latest_header(p)) return Layout::ml_latest;
  if (base == "u.data" || base.ends_with(".base") || base.ends_with(".test")) return Layout::ml_100k;
  if (base == "ratings.dat") return has(p.parent_path(), "users.dat") ? Layout::ml_1m : Layout::ml_10m;
  return Layout::delimited;
}

Dataset load_dataset(const std::string& name_or_path, const LoadOptions& options) {
  Dataset d;
  d.source = resolve_dataset(name_or_path);
  fs::path src(d.source);
  d.layout = options.layout ? *options.layout : detect_layout(d.source);
  fs::path dir = fs::is_directory(src) ? src : src.parent_path();
  if (fs::is_directory(src)) {
    if (d.layout == Layout::delimited)
      throw Error(Location{d.source, 0, {}}, "the delimited layout needs a file, not a folder");
    d.ratings_path = (src / ratings_file(d.layout)).string();
    if (!fs::exists(d.ratings_path))
      throw Error(Location{d.source, 0, {}}, std::string("no ") + ratings_file(d.layout) + " in this " +
                                                 to_string(d.layout) + " folder");
  } else {
    d.ratings_path = d.source;
  }
  d.format = d.layout == Layout::delimited ? options.delimited : movielens_format(d.layout);
  if (d.layout == Layout::ml_latest && first_line(d.ratings_path) == "userId,movieId,rating") {
    d.format.expected_header.pop_back();  // a ratings file without timestamps
    d.format.fields = 3;
    d.format.timestamp_column = -1;
  }
  d.ratings = read_with(d.ratings_path, d.format, options, d.report, d.from_cache);
  // Side data and splits belong to a MovieLens folder, also when one of its files was named.
  if (options.side_data && d.layout != Layout::delimited) load_side_data(d, dir);
  find_predefined_splits(d, dir);
  return d;
}

Items load_items(const std::string& name_or_path) {
  if (auto items = find_items(name_or_path)) return std::move(*items);
  fs::path src(resolve_dataset(name_or_path));
  fs::path dir = fs::is_directory(src) ? src : src.parent_path();
  throw Error(Location{src.string(), 0, {}},
              "no item file here (looked for movies.csv, u.item with u.genre, movies.dat in " + dir.string() + ")");
}

std::optional<Items> find_items(const std::string& name_or_path) {
  fs::path src(resolve_dataset(name_or_path));
  fs::path dir = fs::is_directory(src) ? src : src.parent_path();
  std::string base = fs::is_directory(src) ? "" : src.filename().string();
  auto path = [&](const char* f) { return (dir / f).string(); };
  auto movies_csv = [&] {
    Items items = read_movies_csv(path("movies.csv"));
    if (has(dir, "links.csv")) read_links_csv(path("links.csv"), items);
    return items;
  };
  if (base == "movies.csv") return movies_csv();
  if (base == "u.item") {
    if (!has(dir, "u.genre")) throw Error(Location{src.string(), 0, {}}, "u.item needs u.genre beside it");
    return read_ml100k_items(path("u.item"), path("u.genre"));
  }
  if (base == "movies.dat") return read_movies_dat(src.string());
  if (has(dir, "movies.csv")) return movies_csv();
  if (has(dir, "u.item") && has(dir, "u.genre")) return read_ml100k_items(path("u.item"), path("u.genre"));
  if (has(dir, "movies.dat")) return read_movies_dat(path("movies.dat"));
  return std::nullopt;
}

TrainTest load_predefined_split(const Dataset& dataset, const std::string& split_name,
                                const ReadOptions& read) {
  for (const auto& s : dataset.splits) {
    if (s.name != split_name) continue;
    Ratings train = read_ratings(s.train_path, dataset.format, read);
    Ratings test = read_ratings(s.test_path, dataset.format, read);
    return remap_predefined(dataset.ratings, train, test, s.train_path, s.test_path);
  }
  std::string names;
  for (const auto& s : dataset.splits) names += (names.empty() ? "" : ", ") + s.name;
  throw Error(Location{dataset.source, 0, {}},
              "no predefined split '" + split_name + "'" +
                  (names.empty() ? std::string(" (this data set ships none)") : "; it has " + names));
}

}  // namespace cofi
