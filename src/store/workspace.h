// A workspace is a folder: kgprofile.db (SQLite, WAL) plus model files and reports, and a
// kgprofile.conf of key=value settings. Every command takes one. See docs/workspace.md.
// Not thread-safe: one Workspace per thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

struct WorkspaceOptions {
  bool pseudonymize = false;  // replace user ids by HMAC-SHA256 at ingest
  bool store_pii = false;     // keep users' contact fields (name, phone, email, address) in user_pii
};

class Workspace {
 public:
  // Creates DIR (if needed), the database and kgprofile.conf. Idempotent on an existing
  // workspace (settings are kept).
  static Result<std::unique_ptr<Workspace>> Init(const std::string& dir, const WorkspaceOptions& opts);
  // Opens an existing workspace and migrates its schema.
  static Result<std::unique_ptr<Workspace>> Open(const std::string& dir);

  Db& db() { return *db_; }
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const;  // dir/name

  // Settings from kgprofile.conf.
  std::string Setting(const std::string& key, const std::string& fallback = "") const;

  // The pseudonym key when pseudonymisation is on: KGPROFILE_PSEUDONYM_KEY, else the key file
  // named by the `pseudonym_key_file` setting (one hex key per line: a rotation chain, see
  // PseudonymOf in store/writer.h). Empty when off. Errors if on but no key, or if the key
  // file is accessible to group or others (it must be mode 0600 or stricter).
  Result<std::string> PseudonymKey() const;
  // Records in the database that it stores pseudonyms (inside the transaction that writes the
  // first ones): a configuration that turns pseudonymisation off is refused from then on.
  void RecordPseudonymised();
  std::string PseudonymKeyPath() const;  // the key file (absolute or under dir)
  // store_pii = true: the users reader keeps contact fields and ingest writes them to
  // user_pii (docs/privacy.md "PII fields"); otherwise they are dropped at ingest.
  bool StorePii() const { return Setting("store_pii", "false") == "true"; }

 private:
  Workspace() = default;
  Status LoadConfig();
  Status CheckPseudonymised();
  std::string dir_;
  std::unique_ptr<Db> db_;
  std::map<std::string, std::string> config_;
};

// `kgprofile serve` holds the workspace while it runs (an exclusive flock on kServeLockFile,
// which also names its pid): it keeps profiles.state in memory and saves it when it stops, so
// commands that would change what it keeps (erase, key rotation) are refused meanwhile, and
// profile build/update leave the state file to it. The lock goes with the process, however it ends.
class ServeLock {
 public:
  // The server's exclusive hold. Fails when another server serves the workspace, or a command
  // holding it (Share) runs.
  static Result<ServeLock> Acquire(const Workspace& ws);
  // A command's shared hold for its whole run, so that no server starts meanwhile. Fails, naming
  // `what`, `instead` and the server's pid, when a server holds the workspace. Holds nothing
  // (and succeeds) when the lock file cannot be created: no server could create it either.
  static Result<ServeLock> Share(const Workspace& ws, const std::string& what, const std::string& instead);
  ServeLock(ServeLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ServeLock& operator=(ServeLock&& o) noexcept;
  ServeLock(const ServeLock&) = delete;
  ~ServeLock();

 private:
  explicit ServeLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};
// The pid of the `kgprofile serve` holding ws (-1 when it cannot be read, or the lock file
// cannot be opened: then a server may hold it), or 0 when none does. The lock needs a local file
// system (or NFS with working locks).
int64_t ServingPid(const Workspace& ws);

constexpr const char* kDbFile = "kgprofile.db";
constexpr const char* kServeLockFile = "serve.lock";
constexpr const char* kConfigFile = "kgprofile.conf";

}  // namespace kgp
