// Pseudonymous user ids (docs/privacy.md "Pseudonyms"): at ingest the store writer replaces each
// user id by PseudonymOf(key, id) (store/writer.h), so raw ids are never stored. This module
// manages the key: generating it (and pseudonymising a workspace that stored ids in clear), and
// rotating it. A rotation appends a fresh key to the chain in the key file and re-keys every
// stored id p → H(k_new, p): the users table, profiles, graph nodes, KG entities, any other
// table with a text user id, the profile state file and the embedding checkpoint. Exports
// under WORKSPACE/export hold old ids and are removed. Old pseudonyms then occur nowhere in the
// workspace (the database is vacuumed with secure_delete), yet new records of the same person
// still join: ingest applies the whole chain.
// Not thread-safe; run with no other process writing the workspace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "store/workspace.h"

namespace kgp::privacy {

// The stored form of a raw user id in this workspace (its pseudonym when pseudonymisation is
// on, else the id itself): what lookups by a caller-supplied id (profile show, recommend, the
// HTTP API) must search for. Errors as Workspace::PseudonymKey.
Result<std::string> StoredUserId(const Workspace& ws, std::string_view raw_id);

// The stored id of a user named by a caller who may hold either form: id itself when it is
// stored as given (a pseudonym, or any id when pseudonymisation is off), else the pseudonym of
// id (the caller's lookup then reports "not found" when that is not stored either). Ingest and
// the service store an id that is a stored pseudonym as that user, so both forms never name
// two users; an older kgprofile could make a second user, H(pseudonym), and the person comes
// first.
Result<std::string> ResolveUserId(Workspace& ws, std::string_view id);

// 32 random bytes (OpenSSL RAND_bytes) as 64 hex digits.
std::string NewKeyHex();

struct RekeyReport {
  size_t users = 0;                  // stored ids re-keyed
  std::vector<std::string> tables;   // tables whose rows changed
  std::vector<std::string> files_rewritten, files_removed;
  size_t chain_length = 0;           // keys in the key file afterwards
  bool vacuumed = false, wal_truncated = false;
  nlohmann::json Json() const;
};

// Creates the key file (mode 0600) and turns `pseudonymize = true` on in kgprofile.conf.
// Ids already stored in clear are pseudonymised in place. InvalidArgument when a key file exists
// already (use RotateKey) or KGPROFILE_PSEUDONYM_KEY is set. Reopen the workspace afterwards.
Result<RekeyReport> GenerateKey(Workspace& ws);

// Appends a fresh key to the chain and re-keys the store. REQUIRES: pseudonymisation on, key in a
// file (not KGPROFILE_PSEUDONYM_KEY).
Result<RekeyReport> RotateKey(Workspace& ws);

}  // namespace kgp::privacy
