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

// Items whose title contains `query`, compared case-insensitively (ASCII letters; other bytes
// exactly): exact title matches first (the title without its "(year)" equal to the query), then
// by training rating count (most first), then by row. Empty when the catalog has no titles.
std::vector<uint32_t> find_titles(const Catalog& catalog, const std::string& query);

}  // namespace cofi
