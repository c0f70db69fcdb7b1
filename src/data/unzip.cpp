#include "unzip_impl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "cofi/error.h"

namespace fs = std::filesystem;

namespace cofi::detail {

namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }  // read-only: nothing to write back
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string zip_code_message(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string msg = zip_error_strerror(&err);
  zip_error_fini(&err);
  return msg;
}

Error entry_error(const std::string& archive, const std::string& entry, const std::string& what) {
  return Error(Location{archive, 0, {}}, "entry " + quote_token(entry) + ": " + what);
}

}  // namespace

std::string unsafe_entry_reason(const std::string& name) {
  if (name.empty()) return "empty name";
  if (name.find('\0') != std::string::npos) return "NUL byte in the name";
  if (name.front() == '/') return "absolute path";
  if (name.find('\\') != std::string::npos) return "backslash in the name";
  if (name.size() >= 2 && name[1] == ':') return "drive letter";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string_view part(name.data() + start, end - start);
    if (part == "..") return "'..' component";
    start = end + 1;
  }
  return {};
}

void unzip_to(const std::string& path, const std::string& dest, const std::string& archive) {
  int code = 0;
  // ZIP_CHECKCONS: cross-check the central directory against the local headers, so that a
  // truncated or spliced file fails here rather than halfway through unpacking.
  std::unique_ptr<zip_t, ZipCloser> za(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!za) throw Error(Location{archive, 0, {}}, "not a readable zip archive: " + zip_code_message(code));

  zip_int64_t count = zip_get_num_entries(za.get(), 0);
  if (count < 0) throw Error(Location{archive, 0, {}}, "cannot count the archive's entries");

  struct Entry {
    zip_uint64_t index;
    std::string name;
    bool is_dir;
    std::optional<zip_uint64_t> size;  // uncompressed bytes, when the archive declares them
  };
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(count));
  // First pass: check every name, so that an unsafe archive writes nothing at all.
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    auto index = static_cast<zip_uint64_t>(i);
    if (zip_stat_index(za.get(), index, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME))
      throw Error(Location{archive, 0, {}}, "cannot read entry " + std::to_string(i) + ": " +
                                                zip_strerror(za.get()));
    std::string name = st.name;
    std::string reason = unsafe_entry_reason(name);
    if (!reason.empty())
      throw entry_error(archive, name,
                        "would be unpacked outside the data folder (" + reason + "); the archive is unsafe");
    bool is_dir = name.back() == '/';
    std::optional<zip_uint64_t> size;
    if (st.valid & ZIP_STAT_SIZE) size = st.size;
    entries.push_back({index, std::move(name), is_dir, size});
  }

  const fs::path root(dest);
  std::vector<char> buf(1 << 16);
  for (const Entry& e : entries) {
    fs::path target = root / fs::path(e.name).lexically_normal();
    std::error_code ec;
    if (e.is_dir) {
      fs::create_directories(target, ec);
      if (ec) throw entry_error(archive, e.name, "cannot create folder: " + ec.message());
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw entry_error(archive, e.name, "cannot create folder: " + ec.message());

    std::unique_ptr<zip_file_t, ZipFileCloser> zf(zip_fopen_index(za.get(), e.index, 0));
    if (!zf) throw entry_error(archive, e.name, std::string("cannot open: ") + zip_strerror(za.get()));
    // O_EXCL: a name that appears twice is refused rather than silently overwritten;
    // O_NOFOLLOW: never write through a link, though none can exist in a fresh folder.
    Fd out{::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
    if (out.fd < 0) {
      int err = errno;
      throw entry_error(archive, e.name,
                        err == EEXIST ? std::string("appears twice in the archive")
                                      : std::string("cannot create file: ") + std::strerror(err));
    }
    zip_uint64_t total = 0;
    for (;;) {
      zip_int64_t n = zip_fread(zf.get(), buf.data(), buf.size());
      if (n < 0)
        throw entry_error(archive, e.name,
                          std::string("cannot unpack: ") + zip_file_strerror(zf.get()) + "; the archive is corrupt");
      if (n == 0) break;
      const char* p = buf.data();
      auto left = static_cast<size_t>(n);
      while (left > 0) {
        ssize_t w = ::write(out.fd, p, left);
        if (w < 0) {
          if (errno == EINTR) continue;
          throw entry_error(archive, e.name, std::string("cannot write: ") + std::strerror(errno));
        }
        p += w;
        left -= static_cast<size_t>(w);
      }
      total += static_cast<zip_uint64_t>(n);
    }
    if (e.size && total != *e.size)
      throw entry_error(archive, e.name,
                        "unpacked to " + std::to_string(total) + " bytes, the archive declares " +
                            std::to_string(*e.size) + "; the archive is corrupt");
    if (::close(out.fd) != 0) {
      out.fd = -1;
      throw entry_error(archive, e.name, std::string("cannot write: ") + std::strerror(errno));
    }
    out.fd = -1;
  }
}

}  // namespace cofi::detail
