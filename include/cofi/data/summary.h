// What `cofi data info` reports about a data set: sizes, density, the rating histogram, activity
// per user and per item, the most-rated titles and the side data present.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cofi/data/dataset.h"

namespace cofi {

struct CountStats {
  uint64_t min = 0, median = 0, max = 0;
  double mean = 0;
};

struct DataSummary {
  uint64_t ratings = 0, users = 0, items = 0;
  uint64_t catalog_items = 0;   // items in the metadata (rated or not); 0 without metadata
  double density = 0;           // ratings / (users * items)
  double mean_rating = 0, min_rating = 0, max_rating = 0;
  std::vector<std::pair<float, uint64_t>> histogram;  // rating value -> count, ascending values
  CountStats per_user, per_item;
  bool has_timestamps = false;
  int64_t first_timestamp = 0, last_timestamp = 0;
  struct TopItem {
    std::string id, title;
    uint64_t count = 0;
    double mean_rating = 0;
  };
  std::vector<TopItem> most_rated;
  // Side data present.
  uint64_t genres = 0;                       // size of the genre vocabulary
  uint64_t tags = 0, distinct_tags = 0;
  bool links = false;
  std::vector<std::string> user_attributes;  // demographics columns
  uint64_t users_with_attributes = 0;
  std::vector<std::string> predefined_splits;
};

DataSummary summarize(const Dataset& dataset, size_t top_n = 10);

}  // namespace cofi
