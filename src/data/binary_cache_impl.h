// Private pieces of the binary ratings cache (binary_cache.cpp), shared with its tests and the
// fuzz target: the entry encoder and the defensive decoder, kept apart from the file system and
// the staleness check so that both can be driven from bytes. The layout is specified byte by
// byte in docs/cache-format.md; the constants below are the ones it names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cofi/data/ratings.h"
#include "cofi/data/ratings_reader.h"

namespace cofi::detail {

inline constexpr char kCacheMagic[8] = {'C', 'O', 'F', 'I', 'R', 'A', 'T', '1'};
inline constexpr uint32_t kCacheVersion = 1;
// Written in the machine's byte order; it reads back as 0x04030201 on the other one.
inline constexpr uint32_t kCacheByteOrderMark = 0x01020304;
inline constexpr size_t kCacheHeaderBytes = 64;
// Columns start on 64-byte boundaries: a cache line, and enough for any SIMD load.
inline constexpr size_t kCacheColumnAlign = 64;
inline constexpr uint32_t kCacheFlagTimestamps = 1;

// Byte offsets of the fixed header's fields (docs/cache-format.md, "Fixed header").
inline constexpr size_t kCacheOffVersion = 8;
inline constexpr size_t kCacheOffByteOrder = 12;
inline constexpr size_t kCacheOffFileSize = 16;
inline constexpr size_t kCacheOffMetaSize = 24;
inline constexpr size_t kCacheOffChecksum = 32;
inline constexpr size_t kCacheOffCount = 40;
inline constexpr size_t kCacheOffFlags = 48;

// The file an entry was made from, as stat saw it: an entry is fresh while all of it matches.
struct SourceStamp {
  std::string path;       // absolute, lexically normalised
  uint64_t size = 0;      // bytes
  int64_t mtime_ns = 0;   // modification time, nanoseconds since the epoch
  uint64_t inode = 0;
  uint64_t device = 0;    // inodes are unique per device only
  bool operator==(const SourceStamp&) const = default;
};

// The stamp of `path` now; nullopt when it cannot be stat'ed or is not a regular file.
std::optional<SourceStamp> stamp_source(const std::string& path);

// 64-bit FNV-1a, continuing from `hash`.
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
uint64_t fnv1a64(const void* data, size_t n, uint64_t hash = kFnvOffset);

// The checksum of an entry whose header and metadata are `entry[0, 64 + meta_size)`: FNV-1a over
// those bytes, skipping the checksum field itself (bytes 32..39).
uint64_t cache_checksum(const char* entry, uint64_t meta_size);

// The cache file for (absolute source path, fingerprint) in `dir`: "<16 hex digits>.cofirat".
std::string cache_entry_path(const std::string& dir, const std::string& absolute_source,
                             const std::string& fingerprint);

// Everything of an entry but its columns: `head` is the fixed header and the metadata (checksum
// included); column c (user, item, rating, timestamp) goes at column_offset[c], column_bytes[c]
// long (0/0 for an absent timestamp column), zero padding in between; the file is file_size long.
struct EncodedEntry {
  std::string head;
  std::array<uint64_t, 4> column_offset{};
  std::array<uint64_t, 4> column_bytes{};
  uint64_t file_size = 0;
};
// Throws cofi::Error when the columns of `ratings` disagree in length.
EncodedEntry encode_cache_entry(const SourceStamp& source, const std::string& fingerprint,
                                const Ratings& ratings, const ReadReport& report);

struct DecodedEntry {
  SourceStamp source;
  std::string fingerprint;
  Ratings ratings;  // columns view the entry's bytes and hold `owner`
  ReadReport report;
};
// Validates the entry in `data[0, size)` and builds Ratings whose columns view it. `data` must be
// writable (columns may be edited in place), aligned to 64 bytes, and kept alive by `owner`.
// Every count is checked against the bytes left; any failed check gives nullopt, with the reason
// in `why` when given. Column values are not read (that is what keeps a hit cheap), so they are
// trusted as far as the checksum of the sizes and offsets goes. `check_checksum` = false is for
// the fuzz target, which must reach the structural checks behind the checksum.
std::optional<DecodedEntry> decode_cache_entry(char* data, size_t size, std::shared_ptr<const void> owner,
                                               bool check_checksum = true, std::string* why = nullptr);

// A cache file mapped MAP_PRIVATE, PROT_READ | PROT_WRITE (copy-on-write: edits never reach the
// file). `owner` unmaps it when the last holder lets go.
struct MappedEntry {
  char* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};
// nullopt when the file cannot be opened, is not a regular file, is shorter than the fixed
// header, or cannot be mapped.
std::optional<MappedEntry> map_cache_entry(const std::string& path);

}  // namespace cofi::detail
