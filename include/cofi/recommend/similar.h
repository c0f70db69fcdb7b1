// Similar items (and users) by the cosine similarity of their embeddings, and finding items by
// title.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cofi/data/catalog.h"
#include "cofi/model/model.h"

namespace cofi {

// The n rows of `side` most similar to row `row` by the cosine similarity of their
// representations (Model::representation: the embedding rows for dot, dotbias and nn; hybrid's
// include their features, content's are TF-IDF profiles), best first (ties by smaller row), the
// row itself left out; (similarity, row) pairs. Rows with an all-zero representation have no
// direction and are never returned. `allowed` (per row, may be empty) filters.
// Throws cofi::Error for a row outside the table.
std::vector<std::pair<float, uint32_t>> most_similar(const Model& model, Side side, uint32_t row, size_t n,
                                                     const std::vector<uint8_t>& allowed = {},
                                                     unsigned threads = 0);

// Every row's representation and inverse norm of one side, computed once for many similarity
// queries (a server answers each from the same index). Reads the model as it is when built.
class SimilarityIndex {
 public:
  SimilarityIndex(const Model& model, Side side);
  // most_similar's answer for `row`, from the index. Safe from several threads.
  std::vector<std::pair<float, uint32_t>> most_similar(uint32_t row, size_t n,
                                                       const std::vector<uint8_t>& allowed = {},
                                                       unsigned threads = 0) const;

 private:
  Side side_;
  uint32_t rows_ = 0;
  size_t dims_ = 0;
  std::vector<float> reps_;      // rows x dims
  std::vector<float> inv_norm_;  // 1 / |row|; NaN for an all-zero row
};

// Items whose title contains `query`, compared case-insensitively (ASCII letters; other bytes
// exactly): exact title matches first (the title without its "(year)" equal to the query), then
// by training rating count (most first), then by row. Empty when the catalog has no titles.
std::vector<uint32_t> find_titles(const Catalog& catalog, const std::string& query);

}  // namespace cofi
