#include "cli/cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cofi::cli_test {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::ostream& operator<<(std::ostream& os, const Outcome& r) {
  return os << "exit " << r.code << "\n--- stdout ---\n" << r.out << "--- stderr ---\n" << r.err;
}

CliProcess::CliProcess(const std::vector<std::string>& args, uint64_t file_size_limit) {
  const char* cli = std::getenv("COFI_CLI");
  if (!cli || !*cli) {
    ADD_FAILURE() << "COFI_CLI is not set (run the tests through ctest)";
    return;
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  const std::string out_path = (io_.path() / "stdout").string(), err_path = (io_.path() / "stderr").string();
  std::vector<std::string> storage{cli};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) {
    ADD_FAILURE() << "fork failed";
    return;
  }
  if (pid_ == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (file_size_limit > 0) {
      // An ignored signal stays ignored across exec.
      ::signal(SIGXFSZ, SIG_IGN);
      const struct rlimit limit { file_size_limit, file_size_limit };
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(125);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

CliProcess::~CliProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string CliProcess::out() const { return read_file(io_.path() / "stdout"); }
std::string CliProcess::err() const { return read_file(io_.path() / "stderr"); }

Outcome CliProcess::wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return {};
  int status = 0;
  if (limit == std::chrono::milliseconds::zero()) {
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) {
        ADD_FAILURE() << "waitpid failed";
        return {};
      }
    }
  } else {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) break;
      if (done < 0 && errno != EINTR) {
        ADD_FAILURE() << "waitpid failed";
        return {};
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ADD_FAILURE() << "still running after " << limit.count() << " ms; killed";
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  pid_ = -1;  // reaped
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(io_.path() / "stdout");
  r.err = read_file(io_.path() / "stderr");
  return r;
}

Outcome cofi(const std::vector<std::string>& args, uint64_t file_size_limit) {
  return CliProcess(args, file_size_limit).wait();
}

fs::path data_dir() {
  const char* d = std::getenv("COFI_DATA_DIR");
  return d ? fs::path(d) : fs::path();
}

std::vector<double> table_row(const std::string& out, const std::string& name, size_t columns) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first != name) continue;
    std::vector<double> v(columns);
    for (double& x : v) words >> x;
    if (words) return v;  // else another line starting with the name ("model     FILE")
  }
  return {};
}

std::vector<double> eval_row(const std::string& out, const std::string& name) {
  return table_row(out, name, 3);
}

}  // namespace cofi::cli_test
