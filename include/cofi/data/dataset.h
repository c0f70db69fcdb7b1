// A data set: its ratings plus whatever side data and predefined splits its layout ships.
// load_dataset takes a name (resolved through the data cache, see registry.h) or a path to a
// folder or a ratings file; the layout is detected from the files present and can be forced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/data/ratings_reader.h"
#include "cofi/data/side_data.h"

namespace cofi {

enum class Layout : uint8_t {
  ml_latest,  // ratings.csv, movies.csv, tags.csv, links.csv (ml-latest(-small), ml-20m/25m/32m)
  ml_100k,    // u.data, u.item, u.user, u.genre, u.occupation, u1..u5/ua/ub.base|test
  ml_1m,      // ratings.dat, movies.dat, users.dat ("::"), ratings 1..5
  ml_10m,     // ratings.dat, movies.dat, tags.dat ("::"), ratings 0.5..5
  delimited,  // any delimited file of user, item, rating[, timestamp]
};
const char* to_string(Layout layout);
Layout parse_layout(const std::string& text);  // throws cofi::Error listing the choices

// A predefined train/test pair shipped with the data (ml-100k's u1..u5, ua, ub).
struct PredefinedSplit {
  std::string name;        // "u1"
  std::string train_path;  // ".../u1.base"
  std::string test_path;   // ".../u1.test"
};

struct Dataset {
  std::string source;        // the folder or file read
  std::string ratings_path;  // the ratings file within it
  Layout layout = Layout::delimited;
  RatingsFormat format;      // how the ratings file was read (predefined splits use it too)
  Ratings ratings;
  ReadReport report;
  bool from_cache = false;   // the ratings came from the binary cache
  std::optional<Items> items;
  std::optional<Users> users;
  std::optional<Tags> tags;
  std::vector<PredefinedSplit> splits;
};

struct LoadOptions {
  std::optional<Layout> layout;  // force a layout instead of detecting it
  RatingsFormat delimited;       // the format of a generic delimited file (Layout::delimited)
  ReadOptions read;
  bool side_data = true;         // also read items, users and tags where present
  bool use_cache = true;         // go through the binary cache of parsed ratings
};

// The ratings format of a MovieLens layout (delimiter, header, columns, rating scale).
RatingsFormat movielens_format(Layout layout);

// Which layout a folder (or the folder of a ratings file) holds; throws cofi::Error listing
// the files looked for when none matches.
Layout detect_layout(const std::string& path);

Dataset load_dataset(const std::string& name_or_path, const LoadOptions& options = {});

// The item side data (titles, genres, years) of a data set name, a MovieLens folder, a file in
// one (its folder is searched), or an item file itself: movies.csv (with links.csv beside it),
// u.item (with u.genre beside it) or movies.dat. Throws cofi::Error naming the files looked for
// when there is none.
Items load_items(const std::string& name_or_path);
// As load_items, but nullopt when there is no item file (a bad one still throws).
std::optional<Items> find_items(const std::string& name_or_path);

// Reads one predefined split's two files in the data set's format, re-indexed into its ids.
struct TrainTest;
TrainTest load_predefined_split(const Dataset& dataset, const std::string& split_name,
                                const ReadOptions& read = {});

}  // namespace cofi
