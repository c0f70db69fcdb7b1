// Side data: what is known about items (titles, genres, year, links) and users (demographics),
// and free-text tags. Each table is keyed by raw ids through its own IdMap (dense index =
// sorted raw-id order), independent of the ratings' maps: movies.csv lists items nobody rated.
// All text is UTF-8; Latin-1 sources (ml-100k u.item, ml-1m .dat files) are converted on read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cofi/data/id_map.h"

namespace cofi {

struct Items {
  IdMap ids;                                   // raw item id <-> row
  std::vector<std::string> titles;             // per row, UTF-8, as in the source ("Toy Story (1995)")
  std::vector<int> years;                      // per row, release year from the title or date; 0 unknown
  std::vector<std::string> genre_names;        // the genre vocabulary, in the source's order
  std::vector<std::vector<uint16_t>> genres;   // per row, indices into genre_names
  std::vector<std::string> imdb_ids, tmdb_ids; // per row when links are known, else empty vectors

  size_t size() const { return titles.size(); }
};

// User attributes by name (ml-100k: age, gender, occupation, zip; ml-1m: gender, age,
// occupation, zip; synthetic users.csv: gender, age, occupation), kept as text per user.
struct Users {
  IdMap ids;                                       // raw user id <-> row
  std::vector<std::string> attribute_names;        // column names
  std::vector<std::vector<std::string>> values;    // values[row][attribute]

  size_t size() const { return values.size(); }
};

// Tags as applied: one row per (user, item, tag) event, raw ids as in the source.
struct Tags {
  std::vector<uint32_t> user, item;   // raw ids
  std::vector<std::string> tag;       // UTF-8
  std::vector<int64_t> timestamp;     // seconds since the epoch

  size_t size() const { return tag.size(); }
};

// Release year from a MovieLens title such as "Toy Story (1995)" or "Babylon 5 (1994-1998)";
// 0 when the title carries none.
int year_from_title(const std::string& title);

// --- ml-latest, ml-20m, ml-25m, ml-32m (CSV with a header, RFC 4180 quoting, UTF-8) ---
Items read_movies_csv(const std::string& path);                 // movieId,title,genres
void read_links_csv(const std::string& path, Items& items);     // movieId,imdbId,tmdbId
Tags read_tags_csv(const std::string& path);                    // userId,movieId,tag,timestamp

// --- ml-100k ---
// u.item: id|title|release date|video date|url|19 genre flags, Latin-1; u.genre names the flags.
Items read_ml100k_items(const std::string& u_item, const std::string& u_genre);
// u.user: id|age|gender|occupation|zip; u.occupation (may be "") lists the valid occupations.
Users read_ml100k_users(const std::string& u_user, const std::string& u_occupation);
std::vector<std::string> read_ml100k_genres(const std::string& u_genre);
std::vector<std::string> read_ml100k_occupations(const std::string& u_occupation);

// --- ml-1m, ml-10m ("::"-separated, no header) ---
Items read_movies_dat(const std::string& path);   // MovieID::Title::Genres
Users read_users_dat(const std::string& path);    // UserID::Gender::Age::Occupation::Zip-code (ml-1m)
Tags read_tags_dat(const std::string& path);      // UserID::MovieID::Tag::Timestamp (ml-10m)

// --- generic: a CSV with a header whose first column is the user id (synth-movielens users.csv) ---
Users read_users_csv(const std::string& path);

}  // namespace cofi
