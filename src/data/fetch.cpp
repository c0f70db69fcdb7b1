// fetch_dataset: download (libcurl) -> checksum (OpenSSL, while the bytes arrive) -> unpack
// (libzip) into a temporary folder -> one rename into the data cache. Every temporary lives inside
// the data cache itself, so that the final rename never crosses file systems, and is removed by a
// guard on every path out, so that a failure leaves the cache as it was.
#include <curl/curl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>

#include "cofi/data/registry.h"
#include "cofi/error.h"
#include "digest_impl.h"
#include "unzip_impl.h"

#ifndef COFI_VERSION_STRING
#define COFI_VERSION_STRING "unknown"
#endif

namespace fs = std::filesystem;

namespace cofi {

namespace {

constexpr long kConnectTimeoutS = 30;
// A transfer slower than 1 byte/s for a minute is taken as stalled; a slow but moving one is not.
constexpr long kLowSpeedBytes = 1;
constexpr long kLowSpeedTimeS = 60;
constexpr long kMaxRedirects = 10;

// Removes a file or folder tree when it goes out of scope, unless released.
class TempPath {
 public:
  TempPath() = default;
  explicit TempPath(fs::path p) : path_(std::move(p)) {}
  ~TempPath() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }
  void adopt(fs::path p) {
    COFI_ASSERT(path_.empty());
    path_ = std::move(p);
  }

 private:
  fs::path path_;
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A new empty file DIR/PREFIX-XXXXXX, open for writing.
fs::path make_temp_file(const fs::path& dir, const std::string& prefix, Fd& out) {
  std::string tmpl = (dir / (prefix + "-XXXXXX")).string();
  out.fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (out.fd < 0)
    throw Error(Location{tmpl, 0, {}}, std::string("cannot create a temporary file: ") + std::strerror(errno));
  return tmpl;
}

// A new empty folder DIR/PREFIX-XXXXXX (mode 0700).
fs::path make_temp_dir(const fs::path& dir, const std::string& prefix) {
  std::string tmpl = (dir / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw Error(Location{tmpl, 0, {}}, std::string("cannot create a temporary folder: ") + std::strerror(errno));
  return tmpl;
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("cannot write the download: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

bool is_hex(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The last path component of a URL ("ml-1m.zip"), for messages; empty when there is none.
std::string url_basename(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base;
}

// A data set name becomes a folder name in the cache: one plain, visible path component.
void check_name(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos)
    throw Error("not a valid data set name: " + quote_token(name) +
                " (it becomes a folder in the data cache: no '/', no leading '.')");
}

struct Expected {
  detail::DigestKind kind = detail::DigestKind::sha256;
  std::string hex;  // empty: unverified, allowed explicitly
};

Expected expected_checksum(const std::string& name, const KnownDataset* known, const FetchOptions& options) {
  if (!options.sha256.empty()) {
    std::string sum = lower(options.sha256);
    if (!is_hex(sum, 64))
      throw Error("the SHA-256 given for '" + name + "' is not 64 hexadecimal digits: " + quote_token(options.sha256));
    return {detail::DigestKind::sha256, sum};
  }
  if (known && !known->sha256.empty()) return {detail::DigestKind::sha256, known->sha256};
  if (known && !known->md5.empty()) return {detail::DigestKind::md5, known->md5};
  if (options.allow_unverified) return {};
  throw Error("no checksum is known for '" + name +
              "', so a download could not be told apart from a corrupt or tampered one; give the archive's "
              "SHA-256 (FetchOptions::sha256, `cofi data fetch --sha256`) or allow an unverified download "
              "explicitly");
}

// ---- download ----------------------------------------------------------------------------

void ensure_curl_global() {
  // Once per process; libcurl's global state must be set up before any handle exists.
  struct Global {
    CURLcode rc;
    Global() : rc(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
    ~Global() {
      if (rc == CURLE_OK) curl_global_cleanup();
    }
  };
  static Global global;
  if (global.rc != CURLE_OK)
    throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(global.rc));
}

struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  detail::Digest sha256{detail::DigestKind::sha256};
  std::optional<detail::Digest> md5;  // only when the MD5 is the checksum to compare
  uint64_t received = 0;
  uint64_t size_hint = 0;     // the registry's size, used until the server says
  uint64_t server_total = 0;  // Content-Length (or a file:// size), once the headers are in
  const std::function<void(uint64_t, uint64_t)>* progress = nullptr;
  std::exception_ptr error;   // an exception from our callbacks, rethrown after curl returns
};

// libcurl is C: exceptions must not cross it, so they are parked in Transfer::error and the
// transfer is aborted by returning a count different from the one received.
size_t on_write(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  try {
    write_all(t->fd, data, n);
    t->sha256.update(data, n);
    if (t->md5) t->md5->update(data, n);
    t->received += n;
    if (t->server_total == 0) {
      curl_off_t length = -1;  // -1 while unknown (no Content-Length, chunked transfer)
      if (curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0)
        t->server_total = static_cast<uint64_t>(length);
    }
    if (*t->progress) (*t->progress)(t->received, t->server_total ? t->server_total : t->size_hint);
    return n;
  } catch (...) {
    t->error = std::current_exception();
    return CURL_WRITEFUNC_ERROR;
  }
}

void download(const std::string& url, Transfer& t) {
  ensure_curl_global();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw Error("cannot create a libcurl handle");
  CURL* c = curl.get();
  t.curl = c;
  char errbuf[CURL_ERROR_SIZE] = {};
  static const std::string user_agent = std::string("cofi/") + COFI_VERSION_STRING;
  // An https address may only be redirected to https; plain http and file:// serve tests and
  // local mirrors.
  const bool https = url.rfind("https://", 0) == 0;
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  set(curl_easy_setopt(c, CURLOPT_URL, url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http,file"));
  set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "https,http"));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L));
  set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, kMaxRedirects));
  set(curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS));
  set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes));
  set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, kLowSpeedTimeS));
  set(curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent.c_str()));
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));  // no SIGALRM games: callers may be threaded
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write));
  set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &t));
  if (rc != CURLE_OK) throw Error(std::string("cannot set up the download: ") + curl_easy_strerror(rc));

  rc = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (rc != CURLE_OK)
    throw Error("cannot download " + url + ": " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
}

// ---- install -------------------------------------------------------------------------------

// The folder to install from what was unpacked into `root`: the known layout's folder when it is
// there, else the archive's only top-level folder, else everything.
fs::path data_root(const fs::path& root, const KnownDataset* known) {
  std::error_code ec;
  if (known && fs::is_directory(root / known->folder, ec)) return root / known->folder;
  fs::path only;
  size_t n = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    ++n;
    only = e.path();
  }
  if (ec) throw Error(Location{root.string(), 0, {}}, "cannot list the unpacked archive: " + ec.message());
  if (n == 0) throw Error("the archive is empty");
  if (n == 1 && fs::is_directory(only, ec)) return only;
  // The temporary folder itself becomes the data set: give it the usual folder permissions
  // (mkdtemp makes it private).
  fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec, ec);
  return root;
}

}  // namespace

std::string fetch_dataset(const std::string& name, const FetchOptions& options) {
  check_name(name);
  const KnownDataset* known = find_known_dataset(name);
  if (!known && options.url.empty())
    throw Error("unknown data set '" + name + "': known data sets are " + known_dataset_names() +
                " (another archive can be fetched by giving its URL)");

  const fs::path dir = data_dir();
  const fs::path dest = dir / name;
  std::error_code ec;
  if (!options.force) {
    if (fs::exists(dest, ec)) return dest.string();
    if (known && fs::exists(dir / known->folder, ec)) return (dir / known->folder).string();
  }

  const Expected expected = expected_checksum(name, known, options);
  const std::string url = options.url.empty() ? known->url : options.url;
  std::string archive = url_basename(url);
  if (archive.empty()) archive = name + ".zip";
  const std::string nothing_written = "; nothing was written to " + dir.string();

  fs::create_directories(dir, ec);
  if (ec) throw Error(Location{dir.string(), 0, {}}, "cannot create the data cache folder: " + ec.message());

  try {
    // 1. Download into DIR/.NAME.zip.partial-XXXXXX, hashing on the way.
    Fd fd;
    TempPath zip_tmp(make_temp_file(dir, "." + name + ".zip.partial", fd));
    Transfer t;
    t.fd = fd.fd;
    t.size_hint = known && options.sha256.empty() ? known->size_bytes : 0;
    t.progress = &options.progress;
    if (expected.kind == detail::DigestKind::md5) t.md5.emplace(detail::DigestKind::md5);
    download(url, t);
    if (::close(fd.fd) != 0) {
      fd.fd = -1;
      throw Error(std::string("cannot write the download: ") + std::strerror(errno));
    }
    fd.fd = -1;

    // 2. Compare the checksum before a single byte of the archive is interpreted.
    const std::string sha256 = t.sha256.hex_final();
    if (!expected.hex.empty()) {
      const bool md5 = expected.kind == detail::DigestKind::md5;
      const std::string got = md5 ? t.md5->hex_final() : sha256;
      if (got != expected.hex)
        throw Error("checksum mismatch for " + archive + ": expected " + (md5 ? "MD5 " : "") + expected.hex +
                    ", got " + got + " (" + std::to_string(t.received) +
                    " bytes); the download may be corrupt");
    }

    // 3. Unpack into DIR/.NAME.partial-XXXXXX.
    TempPath unpack_tmp(make_temp_dir(dir, "." + name + ".partial"));
    detail::unzip_to(zip_tmp.path().string(), unpack_tmp.path().string(), archive);
    fs::path source = data_root(unpack_tmp.path(), known);

    // 4. Rename into place. With force, the old copy is moved aside first and deleted only once
    //    the new one is in place, so that a failure keeps the old copy.
    TempPath old_copy;
    if (options.force && fs::exists(dest, ec)) {
      fs::path aside = make_temp_dir(dir, "." + name + ".old");
      // Renaming a folder onto an empty folder replaces it (POSIX rename).
      if (::rename(dest.c_str(), aside.c_str()) != 0) {
        int err = errno;
        fs::remove(aside, ec);
        throw Error(Location{dest.string(), 0, {}},
                    std::string("cannot replace the cached copy: ") + std::strerror(err));
      }
      old_copy.adopt(aside);
    }
    if (::rename(source.c_str(), dest.c_str()) != 0) {
      int err = errno;
      if (!old_copy.path().empty()) {
        if (::rename(old_copy.path().c_str(), dest.c_str()) == 0) old_copy.release();
      } else if ((err == EEXIST || err == ENOTEMPTY) && !options.force) {
        // Another process finished the same fetch first: its copy is as good as ours.
        return dest.string();
      }
      throw Error(Location{dest.string(), 0, {}},
                  std::string("cannot move the data set into place: ") + std::strerror(err));
    }
    // When `source` was the temporary folder itself it is now `dest`: keep it.
    if (source == unpack_tmp.path()) unpack_tmp.release();
    return dest.string();
  } catch (const Error& e) {
    throw Error(e.what() + nothing_written);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // From the caller's progress callback or the standard library: same clean-up, same message shape.
    throw Error(std::string(e.what()) + nothing_written);
  }
}

}  // namespace cofi
