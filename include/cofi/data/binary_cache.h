// A binary cache of parsed ratings, so that the second load of a large file costs a memory map
// instead of a parse. Entries live in a writable cache folder (data may sit on a read-only disk),
// are written atomically (temporary file + rename), are keyed by the source's path, size,
// modification time and inode plus the parse settings, and are read back memory-mapped.
// The entry format is specified byte by byte in docs/cache-format.md.
#pragma once

#include <optional>
#include <string>

#include "cofi/data/ratings.h"
#include "cofi/data/ratings_reader.h"

namespace cofi {

// $COFI_CACHE_DIR when set, else $XDG_CACHE_HOME/cofi/parsed, else ~/.cache/cofi/parsed.
std::string parsed_cache_dir();

// Everything about a read that changes its result, as text (format and options).
std::string read_fingerprint(const RatingsFormat& format, const ReadOptions& options);

// The cached ratings of `source` read with `fingerprint`, memory-mapped; nullopt when there is
// no entry or the entry is stale (source changed) or unreadable (it is then ignored, and
// overwritten by the next store).
std::optional<Ratings> load_cached_ratings(const std::string& source, const std::string& fingerprint,
                                           ReadReport* report = nullptr);

// Writes the entry atomically. Returns false (and leaves no partial file) when the cache folder
// is not writable or the disk is full: the cache is an optimisation, never a reason to fail.
bool store_cached_ratings(const std::string& source, const std::string& fingerprint,
                          const Ratings& ratings, const ReadReport& report);

// read_ratings through the cache: a hit maps the entry; a miss parses and stores.
// `hit` (optional) tells which happened.
Ratings read_ratings_cached(const std::string& path, const RatingsFormat& format,
                            const ReadOptions& options = {}, ReadReport* report = nullptr,
                            bool* hit = nullptr);

}  // namespace cofi
