// The binary ratings cache: entries written atomically (temporary file, fsync, rename) and read
// back memory-mapped. A bad or stale entry is a miss, never an error: the cache only saves time.
#include "cofi/data/binary_cache.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "binary_cache_impl.h"
#include "cofi/error.h"

namespace cofi {
namespace detail {
namespace {

constexpr uint64_t align_up(uint64_t n) {
  return (n + kCacheColumnAlign - 1) / kCacheColumnAlign * kCacheColumnAlign;
}

// Appends native-order values to the metadata.
class MetaWriter {
 public:
  explicit MetaWriter(std::string& out) : out_(out) {}
  template <class T>
  void put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

// Reads the metadata; every read is checked against the bytes left, and the first failure
// sticks (later reads return zeros), so that a decoder can read a group and check once.
class MetaReader {
 public:
  MetaReader(const char* p, size_t n) : p_(p), left_(n) {}
  bool ok() const { return ok_; }
  size_t left() const { return left_; }
  template <class T>
  T get() {
    T v{};
    if (take(&v, sizeof v)) return v;
    return T{};
  }
  bool take(void* out, size_t n) {
    if (!ok_ || n > left_) return fail();
    std::memcpy(out, p_, n);
    p_ += n;
    left_ -= n;
    return true;
  }
  // `count` elements of `elem` bytes each, as a pointer into the metadata; null when they do not fit.
  const char* view(uint64_t count, size_t elem) {
    if (!ok_ || count > left_ / elem) {
      fail();
      return nullptr;
    }
    const char* at = p_;
    p_ += count * elem;
    left_ -= count * elem;
    return at;
  }
  bool str(std::string& out) {
    uint64_t n = get<uint64_t>();
    const char* at = view(n, 1);
    if (!at) return false;
    out.assign(at, n);
    return true;
  }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  const char* p_;
  size_t left_;
  bool ok_ = true;
};

void put_id_map(MetaWriter& w, const IdMap& map) {
  w.put<uint8_t>(map.kind() == IdMap::Kind::integer ? 0 : 1);
  w.put<uint64_t>(map.size());
  if (map.kind() == IdMap::Kind::integer) {
    w.bytes(map.ints().data(), map.ints().size() * sizeof(uint32_t));
    return;
  }
  uint64_t offset = 0;
  w.put<uint64_t>(offset);
  for (const auto& s : map.strings()) w.put<uint64_t>(offset += s.size());
  for (const auto& s : map.strings()) w.bytes(s.data(), s.size());
}

std::optional<IdMap> get_id_map(MetaReader& r, std::string& why, const char* which) {
  auto kind = r.get<uint8_t>();
  uint64_t count = r.get<uint64_t>();
  if (!r.ok()) {
    why = std::string(which) + " id map: truncated";
    return std::nullopt;
  }
  // Dense indices are 32-bit.
  if (count > UINT32_MAX) {
    why = std::string(which) + " id map: " + std::to_string(count) + " ids do not fit 32-bit indices";
    return std::nullopt;
  }
  try {
    if (kind == 0) {
      const char* at = r.view(count, sizeof(uint32_t));
      if (!at) {
        why = std::string(which) + " id map: " + std::to_string(count) + " integer ids overrun the metadata";
        return std::nullopt;
      }
      std::vector<uint32_t> ids(count);
      if (count) std::memcpy(ids.data(), at, count * sizeof(uint32_t));
      return IdMap::from_sorted_ints(std::move(ids));
    }
    if (kind == 1) {
      const char* offsets = r.view(count + 1, sizeof(uint64_t));
      if (!offsets) {
        why = std::string(which) + " id map: " + std::to_string(count) + " string offsets overrun the metadata";
        return std::nullopt;
      }
      auto offset_at = [&](uint64_t i) {
        uint64_t v;
        std::memcpy(&v, offsets + i * sizeof(uint64_t), sizeof v);
        return v;
      };
      uint64_t total = offset_at(count);
      if (offset_at(0) != 0) {
        why = std::string(which) + " id map: the first string offset is not 0";
        return std::nullopt;
      }
      const char* bytes = r.view(total, 1);
      if (!bytes) {
        why = std::string(which) + " id map: " + std::to_string(total) + " string bytes overrun the metadata";
        return std::nullopt;
      }
      std::vector<std::string> ids;
      ids.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t lo = offset_at(i), hi = offset_at(i + 1);
        if (hi < lo || hi > total) {
          why = std::string(which) + " id map: string offsets out of order";
          return std::nullopt;
        }
        ids.emplace_back(bytes + lo, hi - lo);
      }
      return IdMap::from_sorted_strings(std::move(ids));
    }
  } catch (const Error& e) {  // ids not sorted and unique
    why = std::string(which) + " " + e.what();
    return std::nullopt;
  }
  why = std::string(which) + " id map: unknown id kind " + std::to_string(kind);
  return std::nullopt;
}

template <class T>
T load_at(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
void store_at(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace

std::optional<SourceStamp> stamp_source(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec) return std::nullopt;
  SourceStamp s;
  s.path = absolute.lexically_normal().string();
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

uint64_t fnv1a64(const void* data, size_t n, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t cache_checksum(const char* entry, uint64_t meta_size) {
  uint64_t h = fnv1a64(entry, kCacheOffChecksum);
  constexpr size_t after = kCacheOffChecksum + sizeof(uint64_t);
  return fnv1a64(entry + after, kCacheHeaderBytes - after + meta_size, h);
}

std::string cache_entry_path(const std::string& dir, const std::string& absolute_source,
                             const std::string& fingerprint) {
  // The '\0' keeps ("a", "bc") and ("ab", "c") apart; a collision would only cost a miss, since
  // the entry records both and the load compares them.
  uint64_t h = fnv1a64(absolute_source.data(), absolute_source.size());
  h = fnv1a64("", 1, h);
  h = fnv1a64(fingerprint.data(), fingerprint.size(), h);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.cofirat", static_cast<unsigned long long>(h));
  return (std::filesystem::path(dir) / name).string();
}

EncodedEntry encode_cache_entry(const SourceStamp& source, const std::string& fingerprint,
                                const Ratings& ratings, const ReadReport& report) {
  const uint64_t n = ratings.size();
  if (ratings.user.size() != n || ratings.item.size() != n ||
      (ratings.has_timestamps() && ratings.timestamp.size() != n))
    throw Error("binary cache: the ratings columns differ in length");

  std::string meta;
  MetaWriter w(meta);
  w.str(source.path);
  w.put<uint64_t>(source.size);
  w.put<int64_t>(source.mtime_ns);
  w.put<uint64_t>(source.inode);
  w.put<uint64_t>(source.device);
  w.str(fingerprint);
  w.put<uint64_t>(report.lines);
  w.put<uint64_t>(report.records);
  w.put<uint64_t>(report.skipped);
  w.put<uint64_t>(report.duplicates);
  w.put<uint8_t>(report.had_bom ? 1 : 0);
  w.put<uint8_t>(report.had_crlf ? 1 : 0);
  w.put<uint64_t>(report.first_skipped.size());
  for (const auto& m : report.first_skipped) w.str(m);
  put_id_map(w, ratings.users);
  put_id_map(w, ratings.items);

  EncodedEntry e;
  constexpr size_t kTableBytes = 4 * 2 * sizeof(uint64_t);
  const uint64_t meta_size = meta.size() + kTableBytes;
  const uint64_t elem[4] = {sizeof(uint32_t), sizeof(uint32_t), sizeof(float), sizeof(int64_t)};
  const bool ts = ratings.has_timestamps();
  uint64_t end = kCacheHeaderBytes + meta_size;
  for (int c = 0; c < 4; ++c) {
    if (c == 3 && !ts) break;
    e.column_offset[c] = align_up(end);
    e.column_bytes[c] = n * elem[c];
    end = e.column_offset[c] + e.column_bytes[c];
  }
  e.file_size = end;
  for (int c = 0; c < 4; ++c) {
    w.put<uint64_t>(e.column_offset[c]);
    w.put<uint64_t>(e.column_bytes[c]);
  }

  e.head.assign(kCacheHeaderBytes, '\0');
  char* h = e.head.data();
  std::memcpy(h, kCacheMagic, sizeof kCacheMagic);
  store_at<uint32_t>(h + kCacheOffVersion, kCacheVersion);
  store_at<uint32_t>(h + kCacheOffByteOrder, kCacheByteOrderMark);
  store_at<uint64_t>(h + kCacheOffFileSize, e.file_size);
  store_at<uint64_t>(h + kCacheOffMetaSize, meta_size);
  store_at<uint64_t>(h + kCacheOffCount, n);
  store_at<uint32_t>(h + kCacheOffFlags, ts ? kCacheFlagTimestamps : 0);
  e.head += meta;
  store_at<uint64_t>(e.head.data() + kCacheOffChecksum, cache_checksum(e.head.data(), meta_size));
  return e;
}

std::optional<DecodedEntry> decode_cache_entry(char* data, size_t size, std::shared_ptr<const void> owner,
                                               bool check_checksum, std::string* why) {
  std::string reason;
  auto miss = [&](std::string text) -> std::optional<DecodedEntry> {
    if (why) *why = std::move(text);
    return std::nullopt;
  };

  if (size < kCacheHeaderBytes)
    return miss("the entry is " + std::to_string(size) + " bytes, shorter than its 64-byte header");
  if (std::memcmp(data, kCacheMagic, sizeof kCacheMagic) != 0) return miss("wrong magic: not a cofi ratings cache entry");
  // The byte order first: on the other order the version would read as nonsense.
  if (load_at<uint32_t>(data + kCacheOffByteOrder) != kCacheByteOrderMark)
    return miss("written on a machine of the other byte order");
  const auto version = load_at<uint32_t>(data + kCacheOffVersion);
  if (version > kCacheVersion)
    return miss("the entry is version " + std::to_string(version) + ", this build reads version " +
                std::to_string(kCacheVersion));
  if (version != kCacheVersion) return miss("unknown entry version " + std::to_string(version));
  const auto file_size = load_at<uint64_t>(data + kCacheOffFileSize);
  if (file_size != size)
    return miss("the entry is " + std::to_string(size) + " bytes, its header says " + std::to_string(file_size) +
                " (truncated or grown)");
  const auto meta_size = load_at<uint64_t>(data + kCacheOffMetaSize);
  if (meta_size > size - kCacheHeaderBytes)
    return miss("the metadata size " + std::to_string(meta_size) + " overruns the entry");
  if (check_checksum && cache_checksum(data, meta_size) != load_at<uint64_t>(data + kCacheOffChecksum))
    return miss("checksum mismatch in the header or metadata");
  const auto n = load_at<uint64_t>(data + kCacheOffCount);
  const auto flags = load_at<uint32_t>(data + kCacheOffFlags);
  if (flags & ~kCacheFlagTimestamps) return miss("unknown flags " + std::to_string(flags));

  DecodedEntry out;
  MetaReader r(data + kCacheHeaderBytes, meta_size);
  r.str(out.source.path);
  out.source.size = r.get<uint64_t>();
  out.source.mtime_ns = r.get<int64_t>();
  out.source.inode = r.get<uint64_t>();
  out.source.device = r.get<uint64_t>();
  r.str(out.fingerprint);
  out.report.lines = r.get<uint64_t>();
  out.report.records = r.get<uint64_t>();
  out.report.skipped = r.get<uint64_t>();
  out.report.duplicates = r.get<uint64_t>();
  auto bom = r.get<uint8_t>();
  auto crlf = r.get<uint8_t>();
  if (bom > 1 || crlf > 1) return miss("report flags are not 0 or 1");
  out.report.had_bom = bom == 1;
  out.report.had_crlf = crlf == 1;
  uint64_t messages = r.get<uint64_t>();
  if (!r.ok()) return miss("the metadata is truncated before the skipped-record messages");
  // Each message takes at least its 8-byte length.
  if (messages > r.left() / sizeof(uint64_t))
    return miss(std::to_string(messages) + " skipped-record messages overrun the metadata");
  out.report.first_skipped.resize(messages);
  for (auto& m : out.report.first_skipped)
    if (!r.str(m)) return miss("a skipped-record message overruns the metadata");

  auto users = get_id_map(r, reason, "user");
  if (!users) return miss(reason);
  auto items = get_id_map(r, reason, "item");
  if (!items) return miss(reason);

  uint64_t offset[4], bytes[4];
  for (int c = 0; c < 4; ++c) {
    offset[c] = r.get<uint64_t>();
    bytes[c] = r.get<uint64_t>();
  }
  if (!r.ok()) return miss("the metadata is truncated in the column table");
  if (r.left() != 0) return miss(std::to_string(r.left()) + " unread bytes at the end of the metadata");

  // Columns: aligned, in order after the metadata, inside the file, and exactly n values long.
  const bool ts = (flags & kCacheFlagTimestamps) != 0;
  const uint64_t elem[4] = {sizeof(uint32_t), sizeof(uint32_t), sizeof(float), sizeof(int64_t)};
  const char* names[4] = {"user", "item", "rating", "timestamp"};
  if (n > size / sizeof(uint32_t)) return miss(std::to_string(n) + " ratings cannot fit in the entry");
  uint64_t end = kCacheHeaderBytes + meta_size;
  for (int c = 0; c < 4; ++c) {
    if (c == 3 && !ts) {
      if (offset[c] != 0 || bytes[c] != 0) return miss("a timestamp column without the timestamp flag");
      break;
    }
    std::string col = std::string(names[c]) + " column: ";
    if (bytes[c] != n * elem[c])
      return miss(col + std::to_string(bytes[c]) + " bytes for " + std::to_string(n) + " ratings");
    if (offset[c] % kCacheColumnAlign != 0) return miss(col + "offset not aligned to 64 bytes");
    if (offset[c] < end) return miss(col + "overlaps what precedes it");
    if (offset[c] > size || bytes[c] > size - offset[c]) return miss(col + "runs past the end of the entry");
    end = offset[c] + bytes[c];
  }

  out.ratings.user = Column<uint32_t>(reinterpret_cast<uint32_t*>(data + offset[0]), n, owner);
  out.ratings.item = Column<uint32_t>(reinterpret_cast<uint32_t*>(data + offset[1]), n, owner);
  out.ratings.rating = Column<float>(reinterpret_cast<float*>(data + offset[2]), n, owner);
  if (ts && n > 0)
    out.ratings.timestamp = Column<int64_t>(reinterpret_cast<int64_t*>(data + offset[3]), n, owner);
  out.ratings.users = std::move(*users);
  out.ratings.items = std::move(*items);
  return out;
}

std::optional<MappedEntry> map_cache_entry(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < kCacheHeaderBytes) {
    ::close(fd);
    return std::nullopt;
  }
  const auto size = static_cast<size_t>(st.st_size);
  // Private and writable: copy-on-write pages, so that callers may edit the columns in place
  // without touching the file (which other processes may be mapping too).
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) return std::nullopt;
  MappedEntry m;
  m.data = static_cast<char*>(p);
  m.size = size;
  m.owner = std::shared_ptr<const void>(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  return m;
}

namespace {

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Removes the temporary file unless the entry was committed, whatever path the store leaves by.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  int fd_;
  bool committed_ = false;
};

bool store_entry(const SourceStamp& source, const std::string& fingerprint, const Ratings& ratings,
                 const ReadReport& report) {
  const std::string dir = parsed_cache_dir();
  if (dir.empty()) return false;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return false;

  EncodedEntry e;
  try {
    e = encode_cache_entry(source, fingerprint, ratings, report);
  } catch (const Error&) {
    return false;
  }
  const std::string final_path = cache_entry_path(dir, source.path, fingerprint);
  // Same folder as the entry, so that the rename is atomic (one file system).
  std::string tmpl = final_path + ".tmp.XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return false;
  TempFile tmp(tmpl, fd);

  static constexpr char kZeros[kCacheColumnAlign] = {};
  if (!write_all(tmp.fd(), e.head.data(), e.head.size())) return false;
  uint64_t at = e.head.size();
  const void* columns[4] = {ratings.user.data(), ratings.item.data(), ratings.rating.data(),
                            ratings.timestamp.data()};
  for (int c = 0; c < 4; ++c) {
    if (e.column_offset[c] == 0) continue;  // absent timestamp column
    COFI_ASSERT(e.column_offset[c] >= at && e.column_offset[c] - at < kCacheColumnAlign);
    if (!write_all(tmp.fd(), kZeros, e.column_offset[c] - at)) return false;
    if (e.column_bytes[c] > 0 && !write_all(tmp.fd(), columns[c], e.column_bytes[c])) return false;
    at = e.column_offset[c] + e.column_bytes[c];
  }
  COFI_ASSERT(at == e.file_size);
  // Data on disk before the name: a crash must leave the old entry or the whole new one.
  if (::fsync(tmp.fd()) != 0) return false;
  if (!tmp.close()) return false;
  if (::rename(tmp.path().c_str(), final_path.c_str()) != 0) return false;
  tmp.commit();
  // Make the rename itself durable; the entry is complete either way, so failure is harmless.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

// Appends `s` as "<length>:<bytes>", so that no choice of delimiter or name can make two
// different settings print the same.
void put_text(std::string& out, std::string_view key, std::string_view s) {
  out += key;
  out += '=';
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ';';
}

void put_value(std::string& out, std::string_view key, const std::string& v) {
  out += key;
  out += '=';
  out += v;
  out += ';';
}

std::string exact_float(float f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(f));  // hex: exact, no rounding
  return buf;
}

const char* id_kind_name(IdKind k) {
  switch (k) {
    case IdKind::automatic: return "automatic";
    case IdKind::integer: return "integer";
    case IdKind::string: return "string";
  }
  return "?";
}

}  // namespace
}  // namespace detail

std::string parsed_cache_dir() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (std::string d = env("COFI_CACHE_DIR"); !d.empty()) return d;
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty() && x.front() == '/')
    return (std::filesystem::path(x) / "cofi" / "parsed").string();
  std::string home = env("HOME");
  if (home.empty()) {
    // getpwuid_r, not getpwuid: the library may be called from several threads.
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir)
      home = found->pw_dir;
  }
  if (home.empty()) return {};  // nowhere to cache: every load misses, every store fails
  return (std::filesystem::path(home) / ".cache" / "cofi" / "parsed").string();
}

std::string read_fingerprint(const RatingsFormat& format, const ReadOptions& options) {
  // Bump "reader" when the parser changes what it produces for the same settings, so that old
  // entries become misses. Left out on purpose: format.name and options.threads, which change
  // neither the ratings nor the report.
  std::string fp = "reader=1;";
  detail::put_text(fp, "delimiter", format.delimiter);
  detail::put_value(fp, "header", format.header ? "1" : "0");
  detail::put_value(fp, "expected_header", std::to_string(format.expected_header.size()));
  for (const auto& h : format.expected_header) detail::put_text(fp, "h", h);
  detail::put_value(fp, "columns",
                    std::to_string(format.user_column) + "," + std::to_string(format.item_column) + "," +
                        std::to_string(format.rating_column) + "," + std::to_string(format.timestamp_column));
  detail::put_value(fp, "fields", std::to_string(format.fields));
  // Field names appear in the skipped-record messages kept in the report.
  detail::put_value(fp, "field_names", std::to_string(format.field_names.size()));
  for (const auto& f : format.field_names) detail::put_text(fp, "f", f);
  detail::put_value(fp, "ids", detail::id_kind_name(format.ids));
  detail::put_value(fp, "rating_min", detail::exact_float(format.rating_min));
  detail::put_value(fp, "rating_max", detail::exact_float(format.rating_max));
  detail::put_value(fp, "rating_step", detail::exact_float(format.rating_step));
  detail::put_value(fp, "duplicates", to_string(options.duplicates));
  detail::put_value(fp, "skip_bad", options.skip_bad ? "1" : "0");
  detail::put_value(fp, "timestamps", options.timestamps ? "1" : "0");
  return fp;
}

std::optional<Ratings> load_cached_ratings(const std::string& source, const std::string& fingerprint,
                                           ReadReport* report) {
  auto now = detail::stamp_source(source);
  if (!now) return std::nullopt;
  const std::string dir = parsed_cache_dir();
  if (dir.empty()) return std::nullopt;
  auto mapped = detail::map_cache_entry(detail::cache_entry_path(dir, now->path, fingerprint));
  if (!mapped) return std::nullopt;
  auto entry = detail::decode_cache_entry(mapped->data, mapped->size, std::move(mapped->owner));
  // A stale entry (the source changed) or another key's (hash collision) is a miss.
  if (!entry || entry->source != *now || entry->fingerprint != fingerprint) return std::nullopt;
  if (report) *report = std::move(entry->report);
  return std::move(entry->ratings);
}

bool store_cached_ratings(const std::string& source, const std::string& fingerprint, const Ratings& ratings,
                          const ReadReport& report) {
  auto stamp = detail::stamp_source(source);
  return stamp && detail::store_entry(*stamp, fingerprint, ratings, report);
}

Ratings read_ratings_cached(const std::string& path, const RatingsFormat& format, const ReadOptions& options,
                            ReadReport* report, bool* hit) {
  const std::string fingerprint = read_fingerprint(format, options);
  ReadReport cached_report;
  if (auto cached = load_cached_ratings(path, fingerprint, &cached_report)) {
    if (hit) *hit = true;
    if (report) *report = std::move(cached_report);
    return std::move(*cached);
  }
  if (hit) *hit = false;
  // Stamp before parsing and store only if the source is unchanged after: an entry must never
  // pair the data of one version of the file with the stamp of another.
  auto before = detail::stamp_source(path);
  ReadReport parsed_report;
  Ratings ratings = read_ratings(path, format, options, &parsed_report);
  if (before && detail::stamp_source(path) == before) detail::store_entry(*before, fingerprint, ratings, parsed_report);
  if (report) *report = std::move(parsed_report);
  return ratings;
}

}  // namespace cofi
