// The binary ratings cache: round trips against the direct parse, hits and misses, staleness,
// corrupted and truncated entries (always a miss, never a crash), and unwritable folders.
#include "cofi/data/binary_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "binary_cache_impl.h"
#include "cofi/error.h"

namespace cofi {
namespace {

namespace fs = std::filesystem;

// Saves an environment variable and puts it back when the test ends.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvGuard() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

RatingsFormat ml_latest_format() {
  RatingsFormat f;
  f.name = "ml-latest ratings.csv";
  f.delimiter = ",";
  f.header = true;
  f.expected_header = {"userId", "movieId", "rating", "timestamp"};
  f.fields = 4;
  f.rating_min = 0.5f;
  f.rating_max = 5.0f;
  return f;
}

RatingsFormat string_id_format(bool timestamps) {
  RatingsFormat f;
  f.name = "tab-separated, string ids";
  f.delimiter = "\t";
  f.ids = IdKind::string;
  f.fields = timestamps ? 4 : 3;
  f.timestamp_column = timestamps ? 3 : -1;
  return f;
}

const char kCsv[] =
    "userId,movieId,rating,timestamp\n"
    "1,10,4.0,964982703\n"
    "1,3,3.5,964981247\n"
    "2,10,5.0,964983815\n"
    "7,42,0.5,1\n"
    "7,3,2.5,964983000\n";

// BOM, CRLF and two malformed records, so that every ReadReport field is exercised.
const char kCsvMessy[] =
    "\xEF\xBB\xBFuserId,movieId,rating,timestamp\r\n"
    "1,10,4.0,964982703\r\n"
    "x,3,3.5,964981247\r\n"
    "2,10,5.0,964983815\r\n"
    "\r\n"
    "7,42,9.5,1\r\n"
    "7,3,2.5,964983000\r\n";

const char kStrings4[] =
    "alice\tm-1\t4\t100\n"
    "bob\tm-2\t3.5\t200\n"
    "carol\tm-1\t1\t300\n"
    "alice\tzz top\t2\t400\n";

const char kStrings3[] =
    "alice\tm-1\t4\n"
    "bob\tm-2\t3.5\n"
    "\xC3\xA9mile\tm-1\t1\n";

void expect_same(const Ratings& a, const Ratings& b) {
  EXPECT_EQ(a.user.to_vector(), b.user.to_vector());
  EXPECT_EQ(a.item.to_vector(), b.item.to_vector());
  EXPECT_EQ(a.rating.to_vector(), b.rating.to_vector());
  EXPECT_EQ(a.has_timestamps(), b.has_timestamps());
  EXPECT_EQ(a.timestamp.to_vector(), b.timestamp.to_vector());
  EXPECT_EQ(a.users.kind(), b.users.kind());
  EXPECT_EQ(a.items.kind(), b.items.kind());
  EXPECT_TRUE(a.users == b.users);
  EXPECT_TRUE(a.items == b.items);
}

void expect_same(const ReadReport& a, const ReadReport& b) {
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.skipped, b.skipped);
  EXPECT_EQ(a.first_skipped, b.first_skipped);
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.had_bom, b.had_bom);
  EXPECT_EQ(a.had_crlf, b.had_crlf);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  // A new file, not the old one truncated: ext4 flushes a file truncated to zero and rewritten
  // when it is closed (auto_da_alloc), which makes the many rewrites here wait on the disk.
  std::error_code ec;
  fs::remove(p, ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << p;
}

class BinaryCache : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "cofi-cache-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    cache_ = root_ / "parsed";  // not created: the store must create it
    ::setenv("COFI_CACHE_DIR", cache_.c_str(), 1);
  }

  void TearDown() override {
    // Whatever a test did, no temporary file may survive a store.
    std::error_code ec;
    if (fs::is_directory(cache_, ec)) {
      ::chmod(cache_.c_str(), 0755);
      for (const auto& e : fs::directory_iterator(cache_))
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    }
    fs::remove_all(root_, ec);
  }

  fs::path write_source(const std::string& name, const std::string& text) {
    fs::path p = root_ / name;
    write_bytes(p, text);
    return p;
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::is_directory(cache_, ec)) return out;
    for (const auto& e : fs::directory_iterator(cache_)) out.push_back(e.path());
    return out;
  }

  fs::path only_entry() const {
    auto all = entries();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? fs::path() : all.front();
  }

  // Parses directly, then through the cache twice (miss, then hit), comparing each to the direct
  // parse column for column, map for map, report field for field.
  void round_trip(const std::string& text, const RatingsFormat& format, const ReadOptions& options) {
    fs::path src = write_source("ratings.txt", text);
    ReadReport direct_report;
    Ratings direct = read_ratings(src, format, options, &direct_report);

    bool hit = true;
    ReadReport cold_report;
    Ratings cold = read_ratings_cached(src, format, options, &cold_report, &hit);
    EXPECT_FALSE(hit);
    expect_same(cold, direct);
    expect_same(cold_report, direct_report);
    ASSERT_EQ(entries().size(), 1u);

    ReadReport warm_report;
    Ratings warm = read_ratings_cached(src, format, options, &warm_report, &hit);
    EXPECT_TRUE(hit);
    expect_same(warm, direct);
    expect_same(warm_report, direct_report);
    EXPECT_EQ(entries().size(), 1u);
  }

  EnvGuard cache_env_{"COFI_CACHE_DIR"};
  fs::path root_, cache_;
};

TEST_F(BinaryCache, RoundTripIntegerIdsWithTimestamps) { round_trip(kCsv, ml_latest_format(), {}); }

TEST_F(BinaryCache, RoundTripIntegerIdsWithoutTimestamps) {
  ReadOptions no_ts;
  no_ts.timestamps = false;
  round_trip(kCsv, ml_latest_format(), no_ts);
}

TEST_F(BinaryCache, RoundTripFormatWithoutTimestampColumn) {
  RatingsFormat f;
  f.timestamp_column = -1;
  f.fields = 3;
  round_trip("5,1,2\n3,1,4\n5,9,1.5\n", f, {});
}

TEST_F(BinaryCache, RoundTripReportFieldsBomCrlfSkipped) {
  ReadOptions skip;
  skip.skip_bad = true;
  fs::path src = write_source("probe.csv", kCsvMessy);
  ReadReport rep;
  read_ratings(src, ml_latest_format(), skip, &rep);
  ASSERT_TRUE(rep.had_bom);
  ASSERT_TRUE(rep.had_crlf);
  ASSERT_EQ(rep.skipped, 2u);
  ASSERT_EQ(rep.first_skipped.size(), 2u);
  round_trip(kCsvMessy, ml_latest_format(), skip);
}

TEST_F(BinaryCache, RoundTripStringIdsWithTimestamps) { round_trip(kStrings4, string_id_format(true), {}); }

TEST_F(BinaryCache, RoundTripStringIdsWithoutTimestamps) { round_trip(kStrings3, string_id_format(false), {}); }

TEST_F(BinaryCache, RoundTripAutomaticIdsFallingBackToStrings) {
  RatingsFormat f = string_id_format(true);
  f.ids = IdKind::automatic;
  round_trip(std::string("12\t7\t3\t1\n") + kStrings4, f, {});
}

TEST_F(BinaryCache, RoundTripDuplicatesMerged) {
  ReadOptions mean;
  mean.duplicates = DuplicatePolicy::mean;
  round_trip("1,2,3,10\n1,2,5,20\n2,2,1,5\n", RatingsFormat{}, mean);
}

TEST_F(BinaryCache, HitColumnsAreCopyOnWriteAndOutliveTheRatings) {
  fs::path src = write_source("r.csv", kCsv);
  const auto fmt = ml_latest_format();
  Ratings direct = read_ratings_cached(src, fmt);
  const std::string fp = read_fingerprint(fmt, {});
  const std::string before = read_bytes(only_entry());

  Column<float> kept;
  {
    auto hit = load_cached_ratings(src, fp);
    ASSERT_TRUE(hit.has_value());
    for (auto& r : hit->rating) r = -1.0f;  // edits the private mapping only
    for (auto& u : hit->user) u = 0;
    kept = hit->rating;
  }
  // The mapping lives as long as any column viewing it.
  ASSERT_EQ(kept.size(), direct.size());
  for (float r : kept) EXPECT_EQ(r, -1.0f);

  auto again = load_cached_ratings(src, fp);
  ASSERT_TRUE(again.has_value());
  expect_same(*again, direct);
  EXPECT_EQ(read_bytes(only_entry()), before);
}

TEST_F(BinaryCache, EntryIsNamedByPathAndFingerprintAndAligned) {
  fs::path src = write_source("r.csv", kCsv);
  read_ratings_cached(src, ml_latest_format());
  auto stamp = detail::stamp_source(src);
  ASSERT_TRUE(stamp.has_value());
  EXPECT_TRUE(fs::path(stamp->path).is_absolute());
  EXPECT_EQ(only_entry(), fs::path(detail::cache_entry_path(cache_, stamp->path,
                                                            read_fingerprint(ml_latest_format(), {}))));
  EXPECT_EQ(only_entry().extension(), ".cofirat");
  auto mapped = detail::map_cache_entry(only_entry());
  ASSERT_TRUE(mapped.has_value());
  auto entry = detail::decode_cache_entry(mapped->data, mapped->size, mapped->owner);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->source, *stamp);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(entry->ratings.user.data()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(entry->ratings.item.data()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(entry->ratings.rating.data()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(entry->ratings.timestamp.data()) % 64, 0u);
}

// Sets the modification time of `p` to `seconds` since the epoch.
void set_mtime(const fs::path& p, time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
}

TEST_F(BinaryCache, ModifiedSourceIsAMissWithTheNewData) {
  const auto fmt = ml_latest_format();
  fs::path src = write_source("r.csv", kCsv);
  set_mtime(src, 1'600'000'000);
  bool hit = true;
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_FALSE(hit);
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_TRUE(hit);

  // New content and a new mtime, written in place (same inode).
  const uint64_t inode = detail::stamp_source(src)->inode;
  {
    std::ofstream out(src, std::ios::binary | std::ios::trunc);
    out << kCsv << "9,9,1.0,5\n";
  }
  ASSERT_EQ(detail::stamp_source(src)->inode, inode);
  set_mtime(src, 1'600'000'100);
  Ratings fresh = read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(fresh.size(), 6u);
  expect_same(fresh, read_ratings(src, fmt));
  Ratings again = read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_TRUE(hit);
  expect_same(again, fresh);
  EXPECT_EQ(entries().size(), 1u);  // the stale entry was overwritten, not kept beside
}

TEST_F(BinaryCache, TouchedSourceIsAMiss) {
  const auto fmt = ml_latest_format();
  fs::path src = write_source("r.csv", kCsv);
  set_mtime(src, 1'600'000'000);
  bool hit = true;
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  set_mtime(src, 1'600'000'001);
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_FALSE(hit);
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_TRUE(hit);
}

TEST_F(BinaryCache, ReplacedSourceWithSameSizeAndMtimeIsAMissByInode) {
  const auto fmt = ml_latest_format();
  fs::path src = write_source("r.csv", kCsv);
  set_mtime(src, 1'600'000'000);
  bool hit = true;
  read_ratings_cached(src, fmt, {}, nullptr, &hit);
  // Same length, other ratings, same mtime, renamed over the source: only the inode tells.
  std::string other = kCsv;
  other.replace(other.find("4.0"), 3, "1.0");
  fs::path next = write_source("r.csv.new", other);
  set_mtime(next, 1'600'000'000);
  fs::rename(next, src);
  Ratings got = read_ratings_cached(src, fmt, {}, nullptr, &hit);
  EXPECT_FALSE(hit);
  expect_same(got, read_ratings(src, fmt));
}

TEST_F(BinaryCache, OtherFingerprintIsAMiss) {
  fs::path src = write_source("dups.csv", "1,2,3,10\n1,2,5,20\n2,2,1,5\n");
  ReadOptions last, mean;
  last.duplicates = DuplicatePolicy::keep_last;
  mean.duplicates = DuplicatePolicy::mean;
  EXPECT_NE(read_fingerprint({}, last), read_fingerprint({}, mean));

  bool hit = true;
  Ratings a = read_ratings_cached(src, {}, last, nullptr, &hit);
  EXPECT_FALSE(hit);
  Ratings b = read_ratings_cached(src, {}, mean, nullptr, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(a.rating[0], 5.0f);
  EXPECT_EQ(b.rating[0], 4.0f);
  EXPECT_EQ(entries().size(), 2u);
  expect_same(read_ratings_cached(src, {}, last, nullptr, &hit), a);
  EXPECT_TRUE(hit);
  expect_same(read_ratings_cached(src, {}, mean, nullptr, &hit), b);
  EXPECT_TRUE(hit);
}

TEST_F(BinaryCache, FingerprintCoversResultsButNotThreads) {
  RatingsFormat f = ml_latest_format();
  ReadOptions o;
  const std::string base = read_fingerprint(f, o);
  ReadOptions threads = o;
  threads.threads = 3;
  EXPECT_EQ(read_fingerprint(f, threads), base);

  auto differs = [&](auto change) {
    RatingsFormat f2 = f;
    ReadOptions o2 = o;
    change(f2, o2);
    return read_fingerprint(f2, o2) != base;
  };
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.delimiter = ";"; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.header = false; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.expected_header[0] = "user"; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.item_column = 0; x.user_column = 1; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.fields = 0; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.ids = IdKind::automatic; }));
  EXPECT_TRUE(differs([](RatingsFormat& x, ReadOptions&) { x.rating_max = 5.0000005f; }));
  EXPECT_TRUE(differs([](RatingsFormat&, ReadOptions& y) { y.skip_bad = true; }));
  EXPECT_TRUE(differs([](RatingsFormat&, ReadOptions& y) { y.timestamps = false; }));
  // Length-prefixed text: moving a byte between neighbouring strings changes the fingerprint.
  RatingsFormat a, b;
  a.expected_header = {"ab", "c"};
  b.expected_header = {"a", "bc"};
  EXPECT_NE(read_fingerprint(a, o), read_fingerprint(b, o));
}

TEST_F(BinaryCache, ParsedCacheDirFollowsTheEnvironment) {
  EnvGuard xdg("XDG_CACHE_HOME"), home("HOME");
  ::setenv("COFI_CACHE_DIR", "/somewhere/c", 1);
  EXPECT_EQ(parsed_cache_dir(), "/somewhere/c");
  ::unsetenv("COFI_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(parsed_cache_dir(), "/xdg/cofi/parsed");
  ::setenv("XDG_CACHE_HOME", "relative", 1);  // invalid per the XDG spec: ignored
  EXPECT_EQ(parsed_cache_dir(), "/home/u/.cache/cofi/parsed");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(parsed_cache_dir(), "/home/u/.cache/cofi/parsed");
}

// Fixture state for the corruption tests: a stored entry, its bytes and how to reload it.
class BinaryCacheCorrupted : public BinaryCache {
 protected:
  void SetUp() override {
    BinaryCache::SetUp();
    src_ = write_source("r.csv", kCsvMessy);
    options_.skip_bad = true;
    read_ratings_cached(src_, ml_latest_format(), options_);
    entry_ = only_entry();
    good_ = read_bytes(entry_);
    fp_ = read_fingerprint(ml_latest_format(), options_);
    ASSERT_TRUE(load_cached_ratings(src_, fp_).has_value());
    std::memcpy(&meta_size_, good_.data() + detail::kCacheOffMetaSize, sizeof meta_size_);
  }

  bool loads(const std::string& bytes) {
    write_bytes(entry_, bytes);
    return load_cached_ratings(src_, fp_).has_value();
  }

  // The reason decode gives for `bytes`, or "" when it accepts them.
  std::string decode_reason(std::string bytes, bool check_checksum = true) {
    // Copy into 64-byte-aligned writable memory, as a mapping would be.
    const size_t rounded = (bytes.size() / 64 + 1) * 64;  // aligned_alloc wants a multiple
    auto buf = std::shared_ptr<char>(static_cast<char*>(std::aligned_alloc(64, rounded)),
                                     [](char* p) { std::free(p); });
    std::memcpy(buf.get(), bytes.data(), bytes.size());
    std::string why;
    auto e = detail::decode_cache_entry(buf.get(), bytes.size(), buf, check_checksum, &why);
    return e ? std::string() : why;
  }

  // `good_` with a u64 (or u32) at `offset` replaced and the checksum made right again, to reach
  // the checks behind the checksum.
  template <class T>
  std::string patched(size_t offset, T value) const {
    std::string b = good_;
    std::memcpy(b.data() + offset, &value, sizeof value);
    uint64_t meta = 0;
    std::memcpy(&meta, b.data() + detail::kCacheOffMetaSize, sizeof meta);
    if (meta <= b.size() - detail::kCacheHeaderBytes) {
      uint64_t sum = detail::cache_checksum(b.data(), meta);
      std::memcpy(b.data() + detail::kCacheOffChecksum, &sum, sizeof sum);
    }
    return b;
  }

  fs::path src_, entry_;
  ReadOptions options_;
  std::string good_, fp_;
  uint64_t meta_size_ = 0;
};

// The exhaustive loops decode in memory (the load is a stat, a map and this decode); a stride
// of them also goes through the file, which is slower.
TEST_F(BinaryCacheCorrupted, TruncatedAtAnyOffsetIsAMiss) {
  for (size_t cut = 0; cut < good_.size(); ++cut) {
    EXPECT_NE(decode_reason(good_.substr(0, cut)), "") << "truncated to " << cut << " bytes";
    if (cut % 17 == 0) {
      EXPECT_FALSE(loads(good_.substr(0, cut))) << "truncated to " << cut << " bytes";
    }
  }
  EXPECT_EQ(decode_reason(good_), "");
  EXPECT_TRUE(loads(good_));
}

TEST_F(BinaryCacheCorrupted, GrownEntryIsAMiss) { EXPECT_FALSE(loads(good_ + std::string(64, '\0'))); }

TEST_F(BinaryCacheCorrupted, AnyFlippedHeaderOrMetadataByteIsAMiss) {
  const size_t covered = detail::kCacheHeaderBytes + meta_size_;
  ASSERT_LE(covered, good_.size());
  for (size_t i = 0; i < covered; ++i) {
    for (unsigned char mask : std::initializer_list<unsigned char>{0x01, 0x80, 0xff}) {
      std::string b = good_;
      b[i] = static_cast<char>(b[i] ^ mask);
      EXPECT_NE(decode_reason(b), "") << "byte " << i << " ^ " << int{mask};
      if (i % 13 == 0 && mask == 0x01) {
        EXPECT_FALSE(loads(b)) << "byte " << i;
      }
    }
  }
}

TEST_F(BinaryCacheCorrupted, WrongMagicIsAMiss) {
  std::string b = good_;
  b[7] = '2';
  EXPECT_FALSE(loads(b));
  EXPECT_NE(decode_reason(b).find("magic"), std::string::npos) << decode_reason(b);
}

TEST_F(BinaryCacheCorrupted, NewerVersionIsAMissSayingSo) {
  std::string b = patched<uint32_t>(detail::kCacheOffVersion, detail::kCacheVersion + 1);
  EXPECT_FALSE(loads(b));
  EXPECT_NE(decode_reason(b).find("version 2, this build reads version 1"), std::string::npos)
      << decode_reason(b);
  EXPECT_FALSE(loads(patched<uint32_t>(detail::kCacheOffVersion, 0)));
}

TEST_F(BinaryCacheCorrupted, OtherByteOrderIsAMiss) {
  std::string b = patched<uint32_t>(detail::kCacheOffByteOrder, 0x04030201u);
  EXPECT_FALSE(loads(b));
  EXPECT_NE(decode_reason(b).find("byte order"), std::string::npos);
}

TEST_F(BinaryCacheCorrupted, ChecksummedButInconsistentCountsAreMisses) {
  // Each of these passes the checksum; a check behind it must still catch it.
  const uint64_t huge = ~uint64_t{0};
  uint64_t count = 0;
  std::memcpy(&count, good_.data() + detail::kCacheOffCount, sizeof count);
  ASSERT_EQ(count, 3u);
  for (uint64_t n : {uint64_t{0}, count - 1, count + 1, huge, huge / 4, uint64_t{1} << 61}) {
    std::string b = patched<uint64_t>(detail::kCacheOffCount, n);
    EXPECT_FALSE(loads(b)) << "count " << n;
    EXPECT_NE(decode_reason(b), "") << "count " << n;
  }
  EXPECT_FALSE(loads(patched<uint32_t>(detail::kCacheOffFlags, 0)));   // timestamps left over
  EXPECT_FALSE(loads(patched<uint32_t>(detail::kCacheOffFlags, 3)));   // unknown flag
  for (uint64_t m : {meta_size_ - 1, meta_size_ + 1, meta_size_ - 64, huge, uint64_t{0}})
    EXPECT_FALSE(loads(patched<uint64_t>(detail::kCacheOffMetaSize, m))) << "meta size " << m;
  EXPECT_FALSE(loads(patched<uint64_t>(detail::kCacheOffFileSize, good_.size() - 1)));
  // The source path's length: the first metadata field.
  for (uint64_t len : {huge, meta_size_, uint64_t{0}})
    EXPECT_FALSE(loads(patched<uint64_t>(detail::kCacheHeaderBytes, len))) << "path length " << len;
}

TEST_F(BinaryCacheCorrupted, ChecksummedButBadColumnTableIsAMiss) {
  // The column table is the last 64 bytes of the metadata: (offset, bytes) for 4 columns.
  const size_t table = detail::kCacheHeaderBytes + meta_size_ - 64;
  uint64_t user_offset = 0;
  std::memcpy(&user_offset, good_.data() + table, sizeof user_offset);
  EXPECT_FALSE(loads(patched<uint64_t>(table, user_offset + 4)));              // misaligned
  EXPECT_FALSE(loads(patched<uint64_t>(table, 0)));                            // over the metadata
  EXPECT_FALSE(loads(patched<uint64_t>(table, good_.size() + 64)));            // past the end
  EXPECT_FALSE(loads(patched<uint64_t>(table, ~uint64_t{0} - 63)));            // wraps around
  EXPECT_FALSE(loads(patched<uint64_t>(table + 8, 0)));                        // wrong length
  EXPECT_FALSE(loads(patched<uint64_t>(table + 8, ~uint64_t{0})));             // huge length
  EXPECT_FALSE(loads(patched<uint64_t>(table + 16, user_offset)));             // item over user
}

TEST_F(BinaryCacheCorrupted, ChecksummedGarbageMetadataNeverCrashes) {
  // Every metadata byte set to each of a few values, checksum fixed: must decode or miss cleanly.
  for (size_t i = detail::kCacheHeaderBytes; i < detail::kCacheHeaderBytes + meta_size_; ++i)
    for (unsigned char v : std::initializer_list<unsigned char>{0x00, 0x01, 0x7f, 0xff})
      (void)decode_reason(patched<unsigned char>(i, v));
}

TEST_F(BinaryCacheCorrupted, UnsortedIdMapIsAMiss) {
  // Decode without the checksum so that a swapped pair of user ids reaches the id-map check.
  auto mapped = detail::map_cache_entry(entry_);
  ASSERT_TRUE(mapped.has_value());
  auto e = detail::decode_cache_entry(mapped->data, mapped->size, mapped->owner);
  ASSERT_TRUE(e.has_value());
  const auto& ids = e->ratings.users.ints();
  ASSERT_GE(ids.size(), 2u);
  std::string b = good_;
  // Find the user id array: the first occurrence of the ids' bytes after the header.
  std::string needle(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint32_t));
  size_t at = b.find(needle, detail::kCacheHeaderBytes);
  ASSERT_NE(at, std::string::npos);
  std::memcpy(b.data() + at, &ids[1], 4);
  std::memcpy(b.data() + at + 4, &ids[0], 4);
  EXPECT_NE(decode_reason(b, false).find("not sorted"), std::string::npos) << decode_reason(b, false);
}

TEST_F(BinaryCacheCorrupted, GarbageEmptyAndDirectoryEntriesAreMissesAndGetReplaced) {
  EXPECT_FALSE(loads(""));
  EXPECT_FALSE(loads(std::string(4096, '\xab')));
  EXPECT_FALSE(loads(std::string("COFIRAT1") + std::string(100, '\0')));

  // A corrupted entry is overwritten by the next miss.
  write_bytes(entry_, good_.substr(0, good_.size() / 2));
  bool hit = true;
  Ratings r = read_ratings_cached(src_, ml_latest_format(), options_, nullptr, &hit);
  EXPECT_FALSE(hit);
  read_ratings_cached(src_, ml_latest_format(), options_, nullptr, &hit);
  EXPECT_TRUE(hit);

  // An entry path taken by a folder: a miss, the store fails, the read still works.
  fs::remove(entry_);
  fs::create_directory(entry_);
  Ratings again = read_ratings_cached(src_, ml_latest_format(), options_, nullptr, &hit);
  EXPECT_FALSE(hit);
  expect_same(again, r);
  fs::remove(entry_);
}

TEST_F(BinaryCache, CacheFolderUnderAFileFailsTheStoreButNotTheRead) {
  write_source("not-a-folder", "x");
  ::setenv("COFI_CACHE_DIR", (root_ / "not-a-folder" / "parsed").c_str(), 1);
  fs::path src = write_source("r.csv", kCsv);
  Ratings direct = read_ratings(src, ml_latest_format());
  EXPECT_FALSE(store_cached_ratings(src, read_fingerprint(ml_latest_format(), {}), direct, {}));
  bool hit = true;
  Ratings r = read_ratings_cached(src, ml_latest_format(), {}, nullptr, &hit);
  EXPECT_FALSE(hit);
  expect_same(r, direct);
}

// Stores into a read-only cache folder; 0 when the store failed cleanly and the read worked.
int read_only_store(const fs::path& src, const fs::path& cache) {
  Ratings direct = read_ratings(src, ml_latest_format());
  if (store_cached_ratings(src, read_fingerprint(ml_latest_format(), {}), direct, {})) return 1;
  bool hit = true;
  Ratings r = read_ratings_cached(src, ml_latest_format(), {}, nullptr, &hit);
  if (hit || r.size() != direct.size()) return 2;
  if (!fs::is_empty(cache)) return 3;
  return 0;
}

TEST_F(BinaryCache, ReadOnlyCacheFolderFailsTheStoreButNotTheRead) {
  fs::path src = write_source("r.csv", kCsv);
  fs::create_directories(cache_);
  ASSERT_EQ(::chmod(cache_.c_str(), 0555), 0);
  if (::geteuid() != 0) {
    EXPECT_EQ(read_only_store(src, cache_), 0);
    return;
  }
  // Root writes through permissions: drop to an unprivileged user in a child process.
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(src.c_str(), 0644), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    ::_exit(read_only_store(src, cache_));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot drop root privileges here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(BinaryCache, FullDiskFailsTheStoreAndLeavesNoTemporaryFile) {
  // A file-size limit makes write() fail with EFBIG part-way through the entry, as a full disk would.
  std::string text;
  for (int u = 0; u < 200; ++u)
    for (int i = 0; i < 100; ++i) text += std::to_string(u) + "," + std::to_string(i) + ",3.5,12345\n";
  fs::path src = write_source("big.csv", text);
  ReadReport rep;
  Ratings big = read_ratings(src, {}, {}, &rep);
  ASSERT_EQ(big.size(), 20000u);

  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool stored = store_cached_ratings(src, read_fingerprint({}, {}), big, rep);
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_FALSE(stored);
  EXPECT_TRUE(entries().empty());
  EXPECT_TRUE(store_cached_ratings(src, read_fingerprint({}, {}), big, rep));
  EXPECT_EQ(entries().size(), 1u);
}

TEST_F(BinaryCache, MlLatestSmallColdAndCached) {
  const char* data = std::getenv("COFI_DATA_DIR");
  if (!data) GTEST_SKIP() << "COFI_DATA_DIR is not set";
  fs::path src = fs::path(data) / "ml-latest-small" / "ratings.csv";
  if (!fs::exists(src)) GTEST_SKIP() << src << " is missing";
  const auto fmt = ml_latest_format();

  bool hit = true;
  ReadReport cold_report;
  Ratings cold = read_ratings_cached(src, fmt, {}, &cold_report, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(cold.size(), 100836u);
  EXPECT_EQ(cold.n_users(), 610u);
  EXPECT_EQ(cold.n_items(), 9724u);
  EXPECT_TRUE(cold.has_timestamps());

  ReadReport warm_report;
  Ratings warm = read_ratings_cached(src, fmt, {}, &warm_report, &hit);
  EXPECT_TRUE(hit);
  EXPECT_EQ(warm.size(), 100836u);
  EXPECT_EQ(warm.n_users(), 610u);
  EXPECT_EQ(warm.n_items(), 9724u);
  expect_same(warm, cold);
  expect_same(warm_report, cold_report);
  EXPECT_EQ(warm_report.records, 100836u);
}

}  // namespace
}  // namespace cofi
