// What the tests that run the cofi binary share: a temp folder, whole-file reads and writes, and a
// runner that starts $COFI_CLI with its stdout and stderr captured into files of their own (so the
// two can be checked apart) and reports {exit code, stdout, stderr}. ctest sets $COFI_CLI,
// $COFI_DATA_DIR and $COFI_CACHE_DIR (tests/CMakeLists.txt).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fixtures.h"

namespace cofi::cli_test {

namespace fs = std::filesystem;

using cofi::test::TempDir;

// The whole file; "" when it cannot be read.
std::string read_file(const fs::path& path);
// Writes `text` to `path`, creating its folder; a failed write is a test failure.
void write_file(const fs::path& path, const std::string& text);

struct Outcome {
  int code = -1;    // exit status; 128 + signal when killed by one; -1 when it could not be run
  std::string out;  // stdout
  std::string err;  // stderr
};

std::ostream& operator<<(std::ostream& os, const Outcome& r);

// $COFI_CLI started with `args` and not waited for: for tests that signal it while it runs. Its
// stdin is /dev/null. The destructor kills (SIGKILL) and reaps it if it still runs.
class CliProcess {
 public:
  // With a `file_size_limit` (bytes; 0: none) the child runs under that RLIMIT_FSIZE with SIGXFSZ
  // ignored, so that a write past it fails with EFBIG ("File too large"): a full disk that needs
  // no privileges, root included.
  explicit CliProcess(const std::vector<std::string>& args, uint64_t file_size_limit = 0);
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const { return pid_; }  // -1 when it could not be started (a test failure)
  std::string out() const;            // what it has written to stdout so far
  std::string err() const;            // what it has written to stderr so far
  // Waits for it to exit and returns what it did. With a `limit`, a process still running after
  // it is killed with SIGKILL (a test failure; the code is then 128 + 9).
  Outcome wait(std::chrono::milliseconds limit = std::chrono::milliseconds::zero());

 private:
  TempDir io_;  // holds "stdout" and "stderr"
  pid_t pid_ = -1;
};

// Runs $COFI_CLI with `args` to the end (under a file size limit, see CliProcess).
Outcome cofi(const std::vector<std::string>& args, uint64_t file_size_limit = 0);

// $COFI_DATA_DIR ("" when unset).
fs::path data_dir();

// The first `columns` numbers of the first line of `out` that starts with the word `name` and has
// that many numbers after it; empty when there is none.
std::vector<double> table_row(const std::string& out, const std::string& name, size_t columns);
// MSE, RMSE and MAE of the row `name` ("all", "known", "fallback") of `cofi eval`'s table.
std::vector<double> eval_row(const std::string& out, const std::string& name);

}  // namespace cofi::cli_test

// Skips the test when data set `name` is not in $COFI_DATA_DIR.
#define REQUIRE_DATA(name)                                                                               \
  do {                                                                                                   \
    if (!::cofi::cli_test::fs::is_directory(::cofi::cli_test::data_dir() / (name)))                      \
      GTEST_SKIP() << "data set " << (name) << " not in COFI_DATA_DIR=" << ::cofi::cli_test::data_dir(); \
  } while (0)
