// Atomic writes under failure: a write that cannot finish (file size limit, full disk, read-only
// file system, a folder that is a file, a destination that is a folder) throws a cofi::Error
// naming the file and the system's reason, leaves the earlier file as it was, and leaves no
// temporary file behind. The full disk and the read-only file system are a private tmpfs, since
// root writes into folders without write permission.
#include "cofi/atomic_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cofi/error.h"
#include "support/fixtures.h"
#include "support/private_mount.h"

namespace cofi {
namespace {

using test::PrivateTmpfs;
using test::TempDir;
namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string error_of(const std::string& path, const std::string& bytes) {
  try {
    write_file_atomically(path, bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(AtomicFile, WritesAndReplacesWholeFiles) {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomically(path, "first");
  EXPECT_EQ(read_all(path), "first");
  write_file_atomically(path, std::string(100000, 'x'));
  EXPECT_EQ(read_all(path), std::string(100000, 'x'));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.txt"});

  // Streamed in pieces; nothing at the path until commit.
  {
    AtomicFile f(dir.file("streamed.txt"));
    f.write("a");
    f.write("bc");
    EXPECT_FALSE(fs::exists(dir.file("streamed.txt")));
    f.commit();
  }
  EXPECT_EQ(read_all(dir.file("streamed.txt")), "abc");
  // Abandoned before commit: nothing written, nothing left.
  {
    AtomicFile f(dir.file("abandoned.txt"));
    f.write("never");
  }
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"out.txt", "streamed.txt"}));
}

TEST(AtomicFile, PathsThatCannotBeWritten) {
  TempDir dir;
  write_file_atomically(dir.file("plain"), "a file, not a folder");
  EXPECT_EQ(error_of(dir.file("plain") + "/out.txt", "x"),
            dir.file("plain") + "/out.txt: cannot create a temporary file beside it: Not a directory");
  EXPECT_EQ(
      error_of(dir.file("missing") + "/out.txt", "x"),
      dir.file("missing") + "/out.txt: cannot create a temporary file beside it: No such file or directory");
  // A folder in the way: the rename fails, and the temporary file goes.
  fs::create_directory(dir.file("folder"));
  EXPECT_EQ(error_of(dir.file("folder"), "x"), dir.file("folder") + ": cannot write: Is a directory");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"folder", "plain"}));
  if (::geteuid() != 0) {
    // Without root, a folder without write permission refuses too (root writes regardless: the
    // read-only tmpfs below covers root).
    fs::create_directory(dir.file("locked"));
    fs::permissions(dir.file("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_EQ(error_of(dir.file("locked") + "/out.txt", "x"),
              dir.file("locked") + "/out.txt: cannot create a temporary file beside it: Permission denied");
    fs::permissions(dir.file("locked"), fs::perms::owner_all);
  }
}

// RLIMIT_FSIZE for this process, SIGXFSZ ignored (so that the write fails with EFBIG instead of
// killing the process), put back at the end of the scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit l = old_;
    l.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &l) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  struct rlimit old_ {};
  sighandler_t old_handler_ = SIG_DFL;
  bool ok_ = false;
};

TEST(AtomicFile, AWriteThatFailsHalfwayLeavesTheEarlierFile) {
  TempDir dir;
  const std::string path = dir.file("model.cofi");
  write_file_atomically(path, "the earlier model");
  std::string message;
  {
    FileSizeLimit limit(64 * 1024);
    ASSERT_TRUE(limit.ok());
    message = error_of(path, std::string(1 << 20, 'x'));
  }
  EXPECT_EQ(message, path + ": cannot write: File too large");
  EXPECT_EQ(read_all(path), "the earlier model");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"model.cofi"});
}

TEST(AtomicFile, FullDisk) {
  PrivateTmpfs disk(256 * 1024);
  REQUIRE_PRIVATE_TMPFS(disk);
  const std::string path = disk.file("model.cofi");
  write_file_atomically(path, std::string(50000, 'a'));
  const uint64_t free_before = disk.free_bytes();
  EXPECT_EQ(error_of(path, std::string(1 << 20, 'b')), path + ": cannot write: No space left on device");
  EXPECT_EQ(read_all(path), std::string(50000, 'a'));
  EXPECT_EQ(names_in(disk.path()), std::vector<std::string>{"model.cofi"});
  EXPECT_EQ(disk.free_bytes(), free_before) << "the temporary file's space is given back";
  // A write that fits still works.
  write_file_atomically(path, "small");
  EXPECT_EQ(read_all(path), "small");
}

TEST(AtomicFile, ReadOnlyFileSystem) {
  PrivateTmpfs disk(256 * 1024);
  REQUIRE_PRIVATE_TMPFS(disk);
  const std::string path = disk.file("model.cofi");
  write_file_atomically(path, "the earlier model");
  ASSERT_TRUE(disk.make_read_only()) << std::strerror(errno);
  EXPECT_EQ(error_of(path, "new"),
            path + ": cannot create a temporary file beside it: Read-only file system");
  EXPECT_EQ(read_all(path), "the earlier model");
  EXPECT_EQ(names_in(disk.path()), std::vector<std::string>{"model.cofi"});
}

}  // namespace
}  // namespace cofi
