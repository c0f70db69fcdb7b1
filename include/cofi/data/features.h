// Features from side data, for the hybrid and content models: what is known about items (genres,
// release decade, tags) and users (gender, age bucket, occupation, zip prefix, or any attribute of
// a users.csv), and generic feature files. Each source gives a FeatureTable keyed by raw ids;
// tables merge, and align_features lays a table over a model's rows.
//
// Names are "group=value" ("genre=Comedy", "decade=1990s", "tag=dark comedy", "age=25-34",
// "zip=94"); a generic file's names are taken as written. Within a built-in group an entity's
// weights sum to 1 (a movie of three genres has each at 1/3; tags by how often each was applied),
// so that every group counts the same however many values it has; normalize_rows then scales
// each entity's weights to sum to 1 (LightFM's advice: a representation whose scale grows with its
// number of features trains unevenly).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cofi/data/id_map.h"
#include "cofi/data/side_data.h"
#include "cofi/features.h"

namespace cofi {

struct FeatureTable {
  IdMap ids;          // raw id <-> row
  Features features;  // one row per id, aligned with `ids`

  size_t size() const { return ids.size(); }
};

struct ItemFeatureOptions {
  bool genres = true;          // "genre=Comedy"; "(no genres listed)" gives none
  bool split_genres = true;    // an item's genres share a weight of 1 (1/n each); false: 1 each
  bool decades = true;         // "decade=1990s" from the release year (none when unknown)
  bool tags = true;            // "tag=..." (lower case, spaces trimmed), weighted by applications
  uint32_t min_tag_items = 2;  // a tag becomes a feature when applied to at least this many items:
                               // a tag on one item cannot relate it to any other
};

// Features of every item in `items` and every item `tags` mentions (either may be null).
FeatureTable item_features(const Items* items, const Tags* tags, const ItemFeatureOptions& options = {});

struct UserFeatureOptions {
  uint32_t zip_digits = 2;  // "zip=94" keeps the first characters of a zip code: the region; 0: no zip
  std::vector<std::string> attributes;  // the attributes to use; empty: all of them
};

// Every non-empty attribute (of those chosen) as "name=value", weight 1. An attribute named "age" holding a
// whole number is bucketed as ml-1m does (under 18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+: "age=25-34");
// ml-1m's age codes (1, 18, 25, ...) are the lower ends of those buckets, so they land in them.
// An attribute named "zip" is cut to its prefix.
FeatureTable user_features(const Users& users, const UserFeatureOptions& options = {});

// The ml-1m age bucket of an age in years: "under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+".
std::string age_bucket(uint32_t age);

// A generic feature file: comma-separated lines ID,FEATURE[,WEIGHT] (RFC 4180 quoting; WEIGHT a
// finite number > 0, default 1), optionally after a header line whose second field is "feature".
// Ids are integers when every id is a whole number below 2^32, otherwise strings. Throws
// cofi::Error naming file, line and field for a record with the wrong number of fields, an empty
// id or feature, a bad weight, or an (id, feature) pair given twice (naming the earlier line).
FeatureTable read_feature_file(const std::string& path);

// Each row's weights scaled to sum to 1 (rows without features stay empty).
void normalize_rows(FeatureTable& table);

// The union of two tables: their ids, and their vocabularies matched by name; an entity with the
// same feature in both gets the sum of the weights.
FeatureTable merge_features(const FeatureTable& a, const FeatureTable& b);

// The table's features for the rows of `rows` (a model's id map), matched by raw id; rows the
// table lacks get none. The vocabulary is the table's. *matched counts rows found in the table.
Features align_features(const FeatureTable& table, const IdMap& rows, size_t* matched = nullptr);

}  // namespace cofi
