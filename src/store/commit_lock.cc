#include "store/commit_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "common/strings.h"

namespace kgp {
namespace {

// This process's holds, by lock file: flock excludes open file descriptions, not threads, so a
// second Acquire by the holding thread would wait for itself; it counts up here instead.
struct Hold {
  int fd = -1;
  std::thread::id owner;
  int depth = 0;
};
std::mutex& HoldsMu() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, Hold>& Holds() {
  static std::map<std::string, Hold> holds;
  return holds;
}

}  // namespace

Result<CommitLock> CommitLock::Acquire(const Workspace& ws, const std::string& what, double wait_s) {
  return Acquire(ws.dir(), what, wait_s);
}

Result<CommitLock> CommitLock::Acquire(const std::string& workspace_dir, const std::string& what, double wait_s) {
  namespace fs = std::filesystem;
  const std::string path = (fs::absolute(workspace_dir) / kCommitLockFile).lexically_normal().string();
  {
    std::lock_guard g(HoldsMu());
    auto it = Holds().find(path);
    if (it != Holds().end() && it->second.owner == std::this_thread::get_id()) {
      ++it->second.depth;
      return CommitLock(path);
    }
  }
  // Readable by all: a command run by another account waits on it too (and reads the holder).
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) (void)::fchmod(fd, 0644);  // whatever the umask (a umask of 077 locked other accounts out)
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // another account's file
  if (fd < 0) {
    const int err = errno;
    std::error_code ec;
    if ((err == ENOENT || err == EROFS || err == EACCES) && !fs::exists(path, ec)) return CommitLock(std::string());
    return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      const int err = errno;
      ::close(fd);
      return Status::IoError(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
    }
    char buf[256] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    const std::string holder = n > 0 ? std::string(Trim(std::string_view(buf, static_cast<size_t>(n)))) : std::string();
    const std::string who = holder.empty() ? std::string("another kgprofile command") : holder;
    LOG_INF("{}: waiting for {} (lock {})", what, who, path);
    int rc = 0;
    if (wait_s >= 0) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
      while ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && (errno == EWOULDBLOCK || errno == EINTR) &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (rc != 0 && errno == EWOULDBLOCK) {
        ::close(fd);
        return Status::Aborted(fmt::format("{}: {} holds the workspace's commit lock ({}); waited {:g} s, try again later",
                                           what, who, path, wait_s));
      }
    } else {
      while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
      }
    }
    if (rc != 0) {
      const int err = errno;
      ::close(fd);
      return Status::IoError(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
    }
  }
  // Who holds it, for the waiting line of the next one (names a command and a pid, no user).
  const std::string me = fmt::format("{} (pid {})\n", what, ::getpid());
  if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // Best effort: a file of another account is read-only here; the lock holds all the same.
  }
  std::lock_guard g(HoldsMu());
  Holds()[path] = Hold{fd, std::this_thread::get_id(), 1};
  return CommitLock(path);
}

CommitLock& CommitLock::operator=(CommitLock&& o) noexcept {
  if (this != &o) {
    Release();
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

void CommitLock::Release() {
  if (path_.empty()) return;
  std::lock_guard g(HoldsMu());
  auto it = Holds().find(path_);
  if (it != Holds().end() && --it->second.depth == 0) {
    (void)::ftruncate(it->second.fd, 0);  // no holder named once it is free
    ::close(it->second.fd);               // releases the flock
    Holds().erase(it);
  }
  path_.clear();
}

}  // namespace kgp
