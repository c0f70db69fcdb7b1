// A small tmpfs mounted on a fresh folder inside a mount namespace private to this test process
// (and to the processes it starts): a real full disk (ENOSPC) and a real read-only file system
// (EROFS), which root cannot write past, unlike a folder without write permission. Nothing is
// visible outside the process, and the mount goes when the process exits.
//
// Needs CAP_SYS_ADMIN (root in a container that grants it, as CI's does) or unprivileged user
// namespaces; without either available() is false and why_not() says why, for GTEST_SKIP. The
// RLIMIT_FSIZE tests cover the failing-write paths without any privilege.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/fixtures.h"

namespace cofi::test {

class PrivateTmpfs {
 public:
  explicit PrivateTmpfs(size_t bytes) {
    static const std::string unshared = [] {
      // A namespace of our own, and no propagation back to the one we came from. Without
      // CAP_SYS_ADMIN, a user namespace (where we are root, mapped to our own ids) grants it for
      // mounts of our own, where the system allows unprivileged user namespaces.
      if (::unshare(CLONE_NEWNS) != 0) {
        const int err = errno;
        if (err != EPERM || !enter_user_namespace())
          return std::string("unshare(CLONE_NEWNS): ") + std::strerror(err) +
                 " (a private tmpfs needs CAP_SYS_ADMIN or unprivileged user namespaces)";
      }
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return std::string("making / private: ") + std::strerror(errno);
      return std::string();
    }();
    if (!unshared.empty()) {
      why_not_ = unshared;
      return;
    }
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_not_ = std::string("mounting a tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~PrivateTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  PrivateTmpfs(const PrivateTmpfs&) = delete;
  PrivateTmpfs& operator=(const PrivateTmpfs&) = delete;

  bool available() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  std::string file(const std::string& name) const { return dir_.file(name); }

  // Remounts it read-only (what was written stays readable). False with errno on failure.
  bool make_read_only() {
    return ::mount(nullptr, dir_.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  // Free bytes, to check that a failed write gave its space back.
  uint64_t free_bytes() const {
    struct statvfs s {};
    if (::statvfs(dir_.path().c_str(), &s) != 0) return 0;
    return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  }

 private:
  static bool write_proc(const char* file, const std::string& text) {
    const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
  }
  static bool enter_user_namespace() {
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    write_proc("/proc/self/setgroups", "deny");
    return write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") &&
           write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
  }

  TempDir dir_;
  bool mounted_ = false;
  std::string why_not_;
};

}  // namespace cofi::test

#define REQUIRE_PRIVATE_TMPFS(fs)                                                  \
  do {                                                                             \
    if (!(fs).available()) GTEST_SKIP() << "no private tmpfs: " << (fs).why_not(); \
  } while (0)
