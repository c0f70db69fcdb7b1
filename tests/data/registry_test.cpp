// The data set registry, offline: archives are built here with libzip and served from file://
// addresses or from a one-shot HTTP server on 127.0.0.1, into a temporary data cache.
#include "cofi/data/registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fixtures.h"

#include "cofi/error.h"
#include "digest_impl.h"
#include "unzip_impl.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

using cofi::test::TempDir;
using cofi::test::EnvGuard;

// ---- fixtures ----------------------------------------------------------------------------

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Every path under `root`, relative, sorted: "nothing new was written" compares two of these.
std::set<std::string> listing(const fs::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  if (!fs::exists(root, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) out.insert(fs::relative(e.path(), root).string());
  return out;
}

struct ZipEntry {
  std::string name;     // a trailing '/' makes a folder entry
  std::string content;
};

// A zip file built with libzip. Entries are stored uncompressed so that tests can find and flip
// their bytes.
std::string make_zip(const fs::path& scratch, const std::vector<ZipEntry>& entries) {
  fs::path p = scratch / "build.zip";
  int err = 0;
  zip_t* za = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za) throw std::runtime_error("zip_open failed");
  for (const ZipEntry& e : entries) {
    if (!e.name.empty() && e.name.back() == '/') {
      if (zip_dir_add(za, e.name.c_str(), ZIP_FL_ENC_UTF_8) < 0) throw std::runtime_error(zip_strerror(za));
      continue;
    }
    zip_source_t* src = zip_source_buffer(za, e.content.data(), e.content.size(), 0);
    zip_int64_t idx = src ? zip_file_add(za, e.name.c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      zip_source_free(src);
      throw std::runtime_error(std::string("zip_file_add: ") + zip_strerror(za));
    }
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(za) != 0) throw std::runtime_error("zip_close failed");
  std::string bytes = read_file(p);
  fs::remove(p);
  return bytes;
}

const std::string kRatings = "userId,movieId,rating,timestamp\n1,10,4.0,964982703\n2,10,3.5,964982931\n";
const std::string kMovies = "movieId,title,genres\n10,GoldenEye (1995),Action|Adventure|Thriller\n";

std::vector<ZipEntry> test_entries() {
  return {{"ml-test/", ""}, {"ml-test/ratings.csv", kRatings}, {"ml-test/movies.csv", kMovies}};
}

std::string sha256(const std::string& bytes) {
  return cofi::detail::digest_bytes(cofi::detail::DigestKind::sha256, bytes);
}

std::string file_url(const fs::path& p) { return "file://" + fs::absolute(p).string(); }

// The message of the cofi::Error `f` throws; fails the test when it throws nothing.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const cofi::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a cofi::Error";
  return {};
}

// A temporary data cache with COFI_DATA_DIR pointing at it, and a scratch folder beside it for
// archives. The cache folder does not exist at first: fetch must create it.
class RegistryTest : public ::testing::Test {
 protected:
  fs::path cache() const { return tmp_.path() / "cache"; }
  fs::path scratch() const { return tmp_.path() / "scratch"; }
  void SetUp() override { fs::create_directories(scratch()); }

  // Writes `bytes` as scratch/FILE and returns its file:// address.
  std::string serve_file(const std::string& file, const std::string& bytes) {
    write_file(scratch() / file, bytes);
    return file_url(scratch() / file);
  }

  TempDir tmp_;
  EnvGuard env_{"COFI_DATA_DIR", (tmp_.path() / "cache").string()};
};

// ---- digests -----------------------------------------------------------------------------

TEST(RegistryDigest, MatchesPublishedTestVectors) {
  using cofi::detail::DigestKind;
  // FIPS 180-2 appendix B.1 and RFC 1321 appendix A.5.
  EXPECT_EQ(cofi::detail::digest_bytes(DigestKind::sha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(cofi::detail::digest_bytes(DigestKind::sha256, ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(cofi::detail::digest_bytes(DigestKind::md5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  // Fed in pieces, the same digest.
  cofi::detail::Digest d(DigestKind::sha256);
  d.update("a");
  d.update("bc");
  EXPECT_EQ(d.hex_final(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- the table of known data sets ---------------------------------------------------------

TEST(RegistryKnownDatasets, EveryEntryHasAnAddressAndAChecksum) {
  const std::vector<std::string> expected = {"ml-latest-small", "ml-100k", "ml-1m", "ml-10m",
                                             "ml-20m", "ml-25m", "ml-32m"};
  std::vector<std::string> names;
  for (const cofi::KnownDataset& d : cofi::known_datasets()) {
    names.push_back(d.name);
    EXPECT_EQ(d.url, "https://files.grouplens.org/datasets/movielens/" + d.name + ".zip");
    const bool sha_ok = d.sha256.size() == 64 &&
                        d.sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
    const bool md5_ok = d.md5.size() == 32 && d.md5.find_first_not_of("0123456789abcdef") == std::string::npos;
    EXPECT_TRUE(sha_ok || md5_ok) << d.name << " has no usable checksum";
    if (!d.sha256.empty()) {
      EXPECT_TRUE(sha_ok) << d.name;
    }
    EXPECT_GT(d.size_bytes, 900'000u) << d.name;
    EXPECT_FALSE(d.folder.empty()) << d.name;
    EXPECT_FALSE(d.description.empty()) << d.name;
    EXPECT_EQ(cofi::find_known_dataset(d.name), &d);
  }
  EXPECT_EQ(names, expected);
  EXPECT_EQ(cofi::find_known_dataset("ml-10m")->folder, "ml-10M100K");
  EXPECT_EQ(cofi::find_known_dataset("ml-nope"), nullptr);
}

// ---- data_dir ----------------------------------------------------------------------------

TEST(RegistryDataDir, EnvironmentPrecedence) {
  EnvGuard home("HOME", "/home/someone");
  {
    EnvGuard c("COFI_DATA_DIR", "/data/cofi");
    EnvGuard x("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(cofi::data_dir(), "/data/cofi");
  }
  {
    EnvGuard c("COFI_DATA_DIR", std::nullopt);
    EnvGuard x("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(cofi::data_dir(), "/xdg/cofi");
  }
  {
    EnvGuard c("COFI_DATA_DIR", "");  // set but empty counts as unset
    EnvGuard x("XDG_CACHE_HOME", std::nullopt);
    EXPECT_EQ(cofi::data_dir(), "/home/someone/.cache/cofi");
  }
  {
    EnvGuard c("COFI_DATA_DIR", std::nullopt);
    EnvGuard x("XDG_CACHE_HOME", "relative/cache");  // invalid per the XDG spec: ignored
    EXPECT_EQ(cofi::data_dir(), "/home/someone/.cache/cofi");
  }
  {
    EnvGuard c("COFI_DATA_DIR", std::nullopt);
    EnvGuard x("XDG_CACHE_HOME", std::nullopt);
    EnvGuard h("HOME", std::nullopt);
    EXPECT_THAT(error_of([] { cofi::data_dir(); }), HasSubstr("COFI_DATA_DIR"));
  }
}

// ---- resolve_dataset ---------------------------------------------------------------------

TEST_F(RegistryTest, ResolveAnExistingPathReturnsIt) {
  fs::path ratings = scratch() / "ratings.csv";
  write_file(ratings, kRatings);
  EXPECT_EQ(cofi::resolve_dataset(ratings.string()), ratings.string());
  EXPECT_EQ(cofi::resolve_dataset(scratch().string()), scratch().string());
}

TEST_F(RegistryTest, ResolveACachedName) {
  fs::create_directories(cache() / "ml-1m");
  EXPECT_EQ(cofi::resolve_dataset("ml-1m"), (cache() / "ml-1m").string());
  // A name that is not in the table resolves too when its folder is in the cache.
  fs::create_directories(cache() / "my-ratings");
  EXPECT_EQ(cofi::resolve_dataset("my-ratings"), (cache() / "my-ratings").string());
}

TEST_F(RegistryTest, ResolveAcceptsTheArchiveFolderName) {
  fs::create_directories(cache() / "ml-10M100K");  // unpacked by hand
  EXPECT_EQ(cofi::resolve_dataset("ml-10m"), (cache() / "ml-10M100K").string());
}

TEST_F(RegistryTest, ResolveAKnownNameNotYetFetchedSaysHowToFetchIt) {
  std::string msg = error_of([] { cofi::resolve_dataset("ml-1m"); });
  EXPECT_THAT(msg, HasSubstr("data set 'ml-1m' is not in the data cache (" + cache().string() + ")"));
  EXPECT_THAT(msg, HasSubstr("run `cofi data fetch ml-1m` to download it"));
  EXPECT_THAT(msg, HasSubstr("COFI_DATA_DIR"));
}

TEST_F(RegistryTest, ResolveAnUnknownNameListsTheKnownOnes) {
  std::string msg = error_of([] { cofi::resolve_dataset("ml-2m"); });
  EXPECT_THAT(msg, HasSubstr("unknown data set 'ml-2m'"));
  for (const cofi::KnownDataset& d : cofi::known_datasets()) EXPECT_THAT(msg, HasSubstr(d.name));
  EXPECT_THAT(msg, HasSubstr("path to a folder or a ratings file"));
  EXPECT_THAT(msg, Not(HasSubstr("cofi data fetch")));
}

TEST_F(RegistryTest, ResolveAMissingPathSaysSo) {
  std::string missing = (scratch() / "nope" / "ratings.csv").string();
  EXPECT_THAT(error_of([&] { cofi::resolve_dataset(missing); }), HasSubstr(missing + ": no such file or folder"));
  EXPECT_THAT(error_of([] { cofi::resolve_dataset("ratings.csv"); }), HasSubstr("no such file or folder"));
  EXPECT_THAT(error_of([] { cofi::resolve_dataset(""); }), HasSubstr("no data set given"));
}

// The shared data as the project ships it: ctest points COFI_DATA_DIR there.
TEST(RegistrySharedData, ResolvesTheBundledDataSets) {
  const char* env = std::getenv("COFI_DATA_DIR");
  if (!env || !fs::is_directory(fs::path(env) / "ml-latest-small") || !fs::is_directory(fs::path(env) / "ml-100k"))
    GTEST_SKIP() << "COFI_DATA_DIR does not hold ml-latest-small and ml-100k";
  EXPECT_EQ(cofi::resolve_dataset("ml-latest-small"), (fs::path(env) / "ml-latest-small").string());
  EXPECT_EQ(cofi::resolve_dataset("ml-100k"), (fs::path(env) / "ml-100k").string());
  EXPECT_TRUE(fs::exists(fs::path(cofi::resolve_dataset("ml-latest-small")) / "ratings.csv"));
  EXPECT_TRUE(fs::exists(fs::path(cofi::resolve_dataset("ml-100k")) / "u.data"));
}

// ---- fetch: success paths ----------------------------------------------------------------

TEST_F(RegistryTest, FetchFromAFileUrlUnpacksIntoTheCache) {
  const std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  o.sha256 = sha256(zip);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  o.progress = [&](uint64_t got, uint64_t total) { calls.emplace_back(got, total); };

  std::string path = cofi::fetch_dataset("ml-test", o);
  EXPECT_EQ(path, (cache() / "ml-test").string());
  EXPECT_EQ(read_file(cache() / "ml-test" / "ratings.csv"), kRatings);
  EXPECT_EQ(read_file(cache() / "ml-test" / "movies.csv"), kMovies);
  // Nothing but the data set: no archive, no temporary folder.
  EXPECT_EQ(listing(cache()), (std::set<std::string>{"ml-test", "ml-test/movies.csv", "ml-test/ratings.csv"}));

  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().first, zip.size());
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(cofi::resolve_dataset("ml-test"), path);
}

TEST_F(RegistryTest, FetchOfACachedDataSetDoesNotDownload) {
  fs::create_directories(cache() / "ml-test");
  write_file(cache() / "ml-test" / "ratings.csv", "old");
  cofi::FetchOptions o;
  o.url = file_url(scratch() / "does-not-exist.zip");  // would fail if it were read
  o.sha256 = std::string(64, '0');
  EXPECT_EQ(cofi::fetch_dataset("ml-test", o), (cache() / "ml-test").string());
  EXPECT_EQ(read_file(cache() / "ml-test" / "ratings.csv"), "old");
}

TEST_F(RegistryTest, ForceReplacesTheCachedCopy) {
  fs::create_directories(cache() / "ml-test");
  write_file(cache() / "ml-test" / "stale.csv", "old");
  const std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  o.sha256 = sha256(zip);
  o.force = true;
  cofi::fetch_dataset("ml-test", o);
  EXPECT_EQ(listing(cache()), (std::set<std::string>{"ml-test", "ml-test/movies.csv", "ml-test/ratings.csv"}));
}

TEST_F(RegistryTest, ForceThatFailsKeepsTheCachedCopy) {
  fs::create_directories(cache() / "ml-test");
  write_file(cache() / "ml-test" / "ratings.csv", "old");
  const auto before = listing(cache());
  std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip.substr(0, zip.size() / 2));
  o.sha256 = sha256(zip.substr(0, zip.size() / 2));
  o.force = true;
  EXPECT_THAT(error_of([&] { cofi::fetch_dataset("ml-test", o); }), HasSubstr("nothing was written"));
  EXPECT_EQ(listing(cache()), before);
  EXPECT_EQ(read_file(cache() / "ml-test" / "ratings.csv"), "old");
}

TEST_F(RegistryTest, KnownLayoutFolderIsRenamedToTheDataSetName) {
  // ml-10m unpacks to ml-10M100K; the cache keeps it under the name users type.
  const std::string zip = make_zip(scratch(), {{"ml-10M100K/ratings.dat", "1::122::5::838985046\n"}});
  cofi::FetchOptions o;
  o.url = serve_file("ml-10m.zip", zip);
  o.sha256 = sha256(zip);
  EXPECT_EQ(cofi::fetch_dataset("ml-10m", o), (cache() / "ml-10m").string());
  EXPECT_TRUE(fs::exists(cache() / "ml-10m" / "ratings.dat"));
  EXPECT_EQ(cofi::resolve_dataset("ml-10m"), (cache() / "ml-10m").string());
}

TEST_F(RegistryTest, AnArchiveWithoutATopFolderBecomesTheDataSet) {
  const std::string zip = make_zip(scratch(), {{"ratings.csv", kRatings}, {"movies.csv", kMovies}});
  cofi::FetchOptions o;
  o.url = serve_file("flat.zip", zip);
  o.sha256 = sha256(zip);
  cofi::fetch_dataset("flat", o);
  EXPECT_EQ(listing(cache()), (std::set<std::string>{"flat", "flat/movies.csv", "flat/ratings.csv"}));
  EXPECT_EQ(read_file(cache() / "flat" / "ratings.csv"), kRatings);
}

// ---- fetch: failures leave nothing behind -------------------------------------------------

TEST_F(RegistryTest, WrongChecksumIsRefusedAndNothingIsWritten) {
  const std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  o.sha256 = std::string(64, 'a');
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("checksum mismatch for ml-test.zip: expected " + std::string(64, 'a') + ", got " +
                             sha256(zip)));
  EXPECT_THAT(msg, HasSubstr("the download may be corrupt"));
  EXPECT_THAT(msg, HasSubstr("nothing was written to " + cache().string()));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, FlippedBytesAgainstTheKnownChecksumAreRefused) {
  // A known name fetched from another address is still checked against the kept checksum.
  std::string zip = make_zip(scratch(), {{"ml-latest-small/ratings.csv", kRatings}});
  zip[zip.size() / 2] = static_cast<char>(zip[zip.size() / 2] ^ 0x5a);
  cofi::FetchOptions o;
  o.url = serve_file("ml-latest-small.zip", zip);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-latest-small", o); });
  EXPECT_THAT(msg, HasSubstr("checksum mismatch for ml-latest-small.zip: expected " +
                             cofi::find_known_dataset("ml-latest-small")->sha256 + ", got " + sha256(zip)));
  EXPECT_THAT(msg, HasSubstr("nothing was written to " + cache().string()));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, Md5IsCheckedWhenNoSha256IsKnown) {
  const std::string zip = make_zip(scratch(), {{"ml-32m/ratings.csv", kRatings}});
  cofi::FetchOptions o;
  o.url = serve_file("ml-32m.zip", zip);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-32m", o); });
  EXPECT_THAT(msg, HasSubstr("checksum mismatch for ml-32m.zip: expected MD5 " +
                             cofi::find_known_dataset("ml-32m")->md5 + ", got " +
                             cofi::detail::digest_bytes(cofi::detail::DigestKind::md5, zip)));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, TruncatedZipWithMatchingChecksumFailsToUnpack) {
  const std::string zip = make_zip(scratch(), test_entries());
  const std::string cut = zip.substr(0, zip.size() - 30);  // loses the end of the central directory
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", cut);
  o.sha256 = sha256(cut);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("ml-test.zip: not a readable zip archive"));
  EXPECT_THAT(msg, HasSubstr("nothing was written to " + cache().string()));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, CorruptEntryFailsItsCrcAndNothingIsLeft) {
  std::string zip = make_zip(scratch(), test_entries());
  // Entries are stored, so the ratings text is in the archive verbatim: damage one byte of it.
  size_t at = zip.find("964982931");
  ASSERT_NE(at, std::string::npos);
  zip[at] = '7';
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  o.sha256 = sha256(zip);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("ml-test/ratings.csv"));
  EXPECT_THAT(msg, HasSubstr("corrupt"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, ZipSlipEntriesAreRefusedBeforeAnythingIsWritten) {
  const std::vector<std::string> evil = {"../evil.csv", "ml-test/../../evil.csv", "/tmp/evil-abs.csv",
                                         "ml-test\\..\\..\\evil.csv"};
  for (const std::string& name : evil) {
    SCOPED_TRACE(name);
    // A harmless entry first: it must not be written either.
    const std::string zip = make_zip(scratch(), {{"ml-test/ratings.csv", kRatings}, {name, "pwned"}});
    cofi::FetchOptions o;
    o.url = serve_file("ml-test.zip", zip);
    o.sha256 = sha256(zip);
    std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
    EXPECT_THAT(msg, HasSubstr("would be unpacked outside the data folder"));
    EXPECT_THAT(msg, HasSubstr("unsafe"));
    EXPECT_EQ(listing(cache()), std::set<std::string>{});
    EXPECT_FALSE(fs::exists(tmp_.path() / "evil.csv"));
    EXPECT_FALSE(fs::exists("/tmp/evil-abs.csv"));
  }
}

TEST(RegistryUnsafeEntryReason, ClassifiesNames) {
  using cofi::detail::unsafe_entry_reason;
  EXPECT_EQ(unsafe_entry_reason("ml-1m/ratings.dat"), "");
  EXPECT_EQ(unsafe_entry_reason("ml-1m/"), "");
  EXPECT_EQ(unsafe_entry_reason("a/./b"), "");
  EXPECT_EQ(unsafe_entry_reason("a..b/c"), "");  // ".." only as a whole component
  EXPECT_NE(unsafe_entry_reason(".."), "");
  EXPECT_NE(unsafe_entry_reason("a/.."), "");
  EXPECT_NE(unsafe_entry_reason("a/../b"), "");
  EXPECT_NE(unsafe_entry_reason("/etc/passwd"), "");
  EXPECT_NE(unsafe_entry_reason("C:/x"), "");
  EXPECT_NE(unsafe_entry_reason("a\\b"), "");
  EXPECT_NE(unsafe_entry_reason(""), "");
}

TEST_F(RegistryTest, DownloadErrorsNameTheAddress) {
  cofi::FetchOptions o;
  o.url = file_url(scratch() / "missing.zip");
  o.sha256 = std::string(64, '0');
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("cannot download " + o.url));
  EXPECT_THAT(msg, HasSubstr("nothing was written to " + cache().string()));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, ProgressCallbackThatThrowsAbortsCleanly) {
  const std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  o.sha256 = sha256(zip);
  o.progress = [](uint64_t, uint64_t) { throw std::runtime_error("cancelled by the user"); };
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("cancelled by the user"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, UnknownNamesAndBadInputsAreRefused) {
  EXPECT_THAT(error_of([] { cofi::fetch_dataset("ml-2m"); }), HasSubstr("known data sets are ml-latest-small"));
  cofi::FetchOptions o;
  o.url = file_url(scratch() / "x.zip");
  o.sha256 = std::string(64, '0');
  EXPECT_THAT(error_of([&] { cofi::fetch_dataset("../escape", o); }), HasSubstr("not a valid data set name"));
  EXPECT_THAT(error_of([&] { cofi::fetch_dataset(".hidden", o); }), HasSubstr("not a valid data set name"));
  o.sha256 = "abc";
  EXPECT_THAT(error_of([&] { cofi::fetch_dataset("ml-test", o); }), HasSubstr("not 64 hexadecimal digits"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, NoChecksumIsRefusedUnlessAllowedExplicitly) {
  const std::string zip = make_zip(scratch(), test_entries());
  cofi::FetchOptions o;
  o.url = serve_file("ml-test.zip", zip);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("no checksum is known for 'ml-test'"));
  EXPECT_THAT(msg, HasSubstr("SHA-256"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});

  o.allow_unverified = true;
  EXPECT_EQ(cofi::fetch_dataset("ml-test", o), (cache() / "ml-test").string());
  EXPECT_EQ(read_file(cache() / "ml-test" / "ratings.csv"), kRatings);
}

// ---- fetch over HTTP from a one-shot server on the loopback interface ---------------------

// Answers HTTP requests on 127.0.0.1 (a random free port) with a fixed response, from a thread,
// until `max_requests` were served or a few seconds pass with none; nothing leaves the machine.
class LoopbackServer {
 public:
  LoopbackServer(std::string response, int max_requests = 1) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, max_requests] { serve(max_requests); });
  }
  ~LoopbackServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  // The last request received; waits for the server thread to finish first.
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serve(int max_requests) {
    for (int served = 0; served < max_requests; ++served) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;  // bounded: a test that never connects still ends
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      request_ = req;
      size_t off = 0;
      while (off < response_.size()) {
        ssize_t n = ::send(c, response_.data() + off, response_.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

std::string http_ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

TEST_F(RegistryTest, FetchOverHttpReportsProgressAgainstContentLength) {
  const std::string zip = make_zip(scratch(), test_entries());
  LoopbackServer server(http_ok(zip));
  cofi::FetchOptions o;
  o.url = server.url("/datasets/ml-test.zip");
  o.sha256 = sha256(zip);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  o.progress = [&](uint64_t got, uint64_t total) { calls.emplace_back(got, total); };
  EXPECT_EQ(cofi::fetch_dataset("ml-test", o), (cache() / "ml-test").string());
  EXPECT_EQ(read_file(cache() / "ml-test" / "ratings.csv"), kRatings);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(uint64_t{zip.size()}, uint64_t{zip.size()}));
  EXPECT_THAT(server.request(), HasSubstr("GET /datasets/ml-test.zip HTTP/1.1"));
  EXPECT_THAT(server.request(), HasSubstr("User-Agent: cofi/"));
}

TEST_F(RegistryTest, FetchOverHttpFollowsRedirects) {
  const std::string zip = make_zip(scratch(), test_entries());
  LoopbackServer target(http_ok(zip));
  LoopbackServer redirect("HTTP/1.1 302 Found\r\nLocation: " + target.url("/real/ml-test.zip") +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  cofi::FetchOptions o;
  o.url = redirect.url("/ml-test.zip");
  o.sha256 = sha256(zip);
  EXPECT_EQ(cofi::fetch_dataset("ml-test", o), (cache() / "ml-test").string());
  EXPECT_THAT(target.request(), HasSubstr("GET /real/ml-test.zip"));
}

TEST_F(RegistryTest, HttpErrorStatusFailsTheFetch) {
  LoopbackServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
  cofi::FetchOptions o;
  o.url = server.url("/ml-test.zip");
  o.sha256 = std::string(64, '0');
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("cannot download " + o.url));
  EXPECT_THAT(msg, HasSubstr("404"));
  EXPECT_THAT(msg, HasSubstr("nothing was written to"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

TEST_F(RegistryTest, ConnectionCutShortIsADownloadError) {
  const std::string zip = make_zip(scratch(), test_entries());
  std::string response = http_ok(zip);
  LoopbackServer server(response.substr(0, response.size() - zip.size() / 2));  // promises more than it sends
  cofi::FetchOptions o;
  o.url = server.url("/ml-test.zip");
  o.sha256 = sha256(zip);
  std::string msg = error_of([&] { cofi::fetch_dataset("ml-test", o); });
  EXPECT_THAT(msg, HasSubstr("cannot download"));
  EXPECT_EQ(listing(cache()), std::set<std::string>{});
}

}  // namespace
