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

constexpr const char* kDbFile = "kgprofile.db";
constexpr const char* kConfigFile = "kgprofile.conf";

}  // namespace kgp
