// Finding and resolving repeated (user, item) pairs in dense ratings columns.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cofi/data/id_map.h"
#include "cofi/data/ratings_reader.h"

namespace cofi::detail {

// Finds repeated (user, item) pairs in O(n): one pass when the records are grouped by user (as
// MovieLens files are), a stable counting sort by user otherwise. Under DuplicatePolicy::error
// throws cofi::Error with the count and the first repeat's position (lines from `line_of`);
// otherwise merges each repeat into the pair's first record and compacts the columns.
// `n` records in the columns; `timestamp` may be null. Returns the number of records left.
uint64_t resolve_duplicates(uint64_t n, uint32_t* user, uint32_t* item, float* rating, int64_t* timestamp,
                            const IdMap& users, const IdMap& items, DuplicatePolicy policy,
                            const std::string& file, const std::function<uint64_t(uint64_t)>& line_of,
                            uint64_t* merged);

}  // namespace cofi::detail
