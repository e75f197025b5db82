// The commit lock of a workspace (docs/workspace.md "Commit lock"): an exclusive flock on
// WORKSPACE/commit.lock, held briefly by whoever writes user data into the workspace that it
// read from the store earlier, and by erasure for its whole run. Erasure cannot then happen
// between another command's read and its write and be undone by it: `kge train` and `profile
// build`/`update` take it to commit (and first drop the users erased since they read the store),
// `export` and `kge index` for their whole run, `EraseUser` (CLI and the server's DELETE) for its
// database and file steps. Writers that save under it never leave a live temporary file for
// erasure to find.
// Thread-safe; re-entrant within one thread (a nested Acquire of the same workspace counts up).
#pragma once

#include <string>

#include "common/status.h"
#include "store/workspace.h"

namespace kgp {

constexpr const char* kCommitLockFile = "commit.lock";

class CommitLock {
 public:
  // Blocks until held; when another process (or thread) holds it, logs one line first: "WHAT:
  // waiting for HOLDER (lock FILE)". `what` names this holder in the lines of those who wait
  // ("kge train (pid 123)"). Holds nothing, and succeeds, when the lock file can be neither
  // opened nor created (a read-only workspace: nobody commits to it); IoError on other failures.
  // wait_s >= 0: gives up after that many seconds with Aborted naming the holder (the server
  // answers 503 rather than stall its event writes behind a long export); < 0 waits for ever.
  static Result<CommitLock> Acquire(const Workspace& ws, const std::string& what, double wait_s = -1);
  static Result<CommitLock> Acquire(const std::string& workspace_dir, const std::string& what, double wait_s = -1);

  CommitLock(CommitLock&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  CommitLock& operator=(CommitLock&& o) noexcept;
  CommitLock(const CommitLock&) = delete;
  ~CommitLock() { Release(); }
  bool held() const { return !path_.empty(); }

 private:
  explicit CommitLock(std::string path) : path_(std::move(path)) {}
  void Release();
  std::string path_;  // the lock file's absolute path (the key of this process's holds); empty: nothing held
};

}  // namespace kgp
