// Workspace files as privacy sees them: where a user's id may still be written, and how to
// make deleted rows unrecoverable from the SQLite files.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "store/db.h"

namespace kgp::privacy {

// A federated run's work folder in a workspace: OutFile::TempName of WS/federated
// (federated.tmp.PID.N).
constexpr const char* kFederatedWorkName = "federated";

// Every regular file under dir (recursively), sorted.
std::vector<std::string> ListFiles(const std::string& dir);

// Embedding checkpoints of a workspace: files under WORKSPACE/models that start with the
// checkpoint magic (models/kge.bin, models/kge-federated.bin, …), writers' temporary files
// (OutFile::IsTempName) aside.
std::vector<std::string> CheckpointFiles(const std::string& workspace_dir);

// Removes the temporary files (OutFile::IsTempName) under the workspace that a writer killed
// while saving left behind: they may hold users' data, and are no one's. A file NAME.tmp.PID.N
// goes when process PID no longer runs, or when the process PID that runs started after the file
// was last written (the pid was reused); an earlier version's NAME.tmp under models/ or export/,
// or profiles.state.tmp. A killed federated run's work folder (WS/federated.tmp.PID.N, no other
// folder) goes whole by the same rule, listed with a trailing '/'. Returns those
// removed.
// REQUIRES: the commit lock held (store/commit_lock.h): the writers that save under it have no
// temporary file meanwhile.
std::vector<std::string> RemoveStaleTempFiles(const std::string& workspace_dir);

// True when the file's bytes contain any needle (exact byte substring; streamed in chunks).
// With whole_ids, a needle counts only where it is not part of a longer id: the byte before it
// (when the needle starts with an id character) and the byte after it (when it ends with one)
// are not id characters (ASCII letters, digits, '_', '-', '.', and UTF-8 bytes), so that user
// "7" is not found in "17" or in "user:7x".
Result<bool> FileContains(const std::string& path, const std::vector<std::string>& needles, bool whole_ids = false);
// For each group of needles, whether the file holds any of them, as FileContains does; one pass
// over the file however many needles (an erasure of many users scans each file once).
Result<std::vector<bool>> FileContainsEach(const std::string& path, const std::vector<std::vector<std::string>>& groups,
                                           bool whole_ids = false);

// Number of maximal runs of [A-Za-z0-9_-] in the file that are in tokens: a fast check for many
// ids at once (an id glued to other word characters is not seen; exact checks use FileContains).
Result<size_t> CountTokens(const std::string& path, const std::unordered_set<std::string>& tokens);

struct ScrubReport {
  bool secure_delete = false;  // PRAGMA secure_delete was on for the deletes
  bool vacuumed = false;
  bool wal_truncated = false;  // false when another connection kept the WAL busy
};
// After deletes made with secure_delete on: checkpoint the WAL into the database and truncate
// it, VACUUM (rebuilds every page: no free page keeps old bytes), and checkpoint again, so the
// deleted content is neither in kgprofile.db nor in kgprofile.db-wal.
ScrubReport ScrubDatabase(Db& db);

// Writes content to path with mode 0600 from creation (never briefly readable by others), via a
// temporary file and rename.
Status WritePrivateFile(const std::string& path, const std::string& content);

}  // namespace kgp::privacy
