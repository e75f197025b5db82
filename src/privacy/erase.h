// Erasure of users from everything in a workspace (docs/privacy.md "Erasure"): events,
// texts and what the text stage derived from them, graph node and edges, KG entities named by
// the id, profile rows, tags and state, PII, cached LLM texts (any table with a user_id
// column), the embedding row (the checkpoint is rewritten without the entity: its name is in
// the file header), and exports under WORKSPACE/export that mention the user (removed).
// Deletes run with secure_delete and are followed by a WAL checkpoint and VACUUM, so the bytes
// are gone from kgprofile.db and kgprofile.db-wal; then every workspace file is scanned for
// the id and its pseudonym. An audit receipt is stored in erasure_receipts: its digest is an
// HMAC of the id under a one-time verification code that only the caller receives, so the
// workspace keeps no way to tell whose receipt it is.
// Aggregates computed before the erasure (co-purchase edges, cluster centroids, model weights)
// still carry the user's share until the next `graph build` / `profile build` / fit.
// Not thread-safe; other connections to the database prevent the WAL truncation (reported).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "embed/checkpoint.h"
#include "store/workspace.h"

namespace kgp::privacy {

struct EraseOptions {
  bool verify = true;  // scan every workspace file for the id afterwards (reads the database once)
  // How long to wait for the commit lock (CommitLock::Acquire; < 0: for ever). The server waits
  // a few seconds and answers 503: its event writes wait behind an erasure.
  double lock_wait_s = -1;
};

struct ErasureReceipt {
  std::string id;                 // random, 32 hex digits
  int64_t ts = 0;                 // unix seconds
  // Returned, never stored on disk (a server holds an asynchronous run's answer in memory for a
  // while: service/erasure_jobs.h).
  std::string verification_code;
  std::string digest;             // hex HMAC-SHA256(verification_code, user id as given)
  std::map<std::string, int64_t> rows;  // table -> rows deleted
  std::vector<std::string> files_rewritten, files_removed;
  bool vacuumed = false, wal_truncated = false;
  bool verified = false;                 // the scan ran and found nothing
  std::vector<std::string> residual_files;  // files still holding the id (scan)
  nlohmann::json Json() const;   // the receipt, verification code included
  nlohmann::json StoredJson() const;  // what erasure_receipts keeps (no code)
};

// Holds the workspace's commit lock (store/commit_lock.h) for its whole run: it waits, logging
// one line, while another command commits.
// user_id: the id as ingested (pseudonymised here when the workspace does so), or a stored
// pseudonym. NotFound when no such user is stored.
Result<ErasureReceipt> EraseUser(Workspace& ws, std::string_view user_id, const EraseOptions& opts = {});

// Several users in one run, as EraseUser each (a receipt and a verification code per user), but
// with one transaction for all their rows, one pass over each file and one VACUUM, which is
// most of an erasure's time on a large workspace. One result per id given, in that order: the
// receipt (the same one for ids naming the same user, such as a raw id and its pseudonym; its
// digest is of the first), NotFound (no such user), or InvalidArgument (an empty id). A failure of the run itself (the lock, the key, a file that
// cannot be written or read) is the outer status; the users' rows may then be gone already, and
// running the same list again finishes their files.
Result<std::vector<Result<ErasureReceipt>>> EraseUsers(Workspace& ws, const std::vector<std::string>& user_ids,
                                                       const EraseOptions& opts = {});

// Removes entity rows (and their optimizer state) whose name is in `names`; returns how many.
size_t RemoveEntities(embed::Checkpoint& ck, const std::vector<std::string>& names);

// For a checkpoint trained on the store's graph, before it is saved: the names of the users
// erased since the graph was read ("user:ID" with ID no longer in `users`, and the bare ID beside
// it), for RemoveEntities. Throws Aborted when every user is gone while the store holds users
// (a key change renamed them). REQUIRES: the commit lock held until the checkpoint is saved
// (else an erasure may come between this check and the save).
std::vector<std::string> ErasedUserEntities(Db& db, const embed::Checkpoint& ck);

}  // namespace kgp::privacy
