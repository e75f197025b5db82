#include "privacy/pseudonym.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/strings.h"
#include "embed/checkpoint.h"
#include "embed/kge.h"
#include "privacy/files.h"
#include "privacy/schema_scan.h"
#include "profile/builder.h"
#include "profile/pipeline.h"
#include "store/commit_lock.h"
#include "store/writer.h"

namespace kgp::privacy {
namespace fs = std::filesystem;

std::string NewKeyHex() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) throw Error(Status::Internal("OpenSSL RAND_bytes failed: cannot make a key"));
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

Result<std::string> StoredUserId(const Workspace& ws, std::string_view raw_id) {
  auto key = ws.PseudonymKey();
  if (!key.ok()) return key.status();
  return PseudonymOf(*key, raw_id);
}

Result<std::string> ResolveUserId(Workspace& ws, std::string_view id) {
  auto stored = StoredUserId(ws, id);
  if (!stored.ok() || *stored == id) return stored;
  // The id itself first: a stored pseudonym names its user (an older kgprofile could also
  // store the pseudonym of a pseudonym posted as an id, a second user).
  for (const std::string& cand : {std::string(id), *stored}) {
    Stmt st = ws.db().Prepare("SELECT 1 FROM users WHERE ext_id = ?");
    st.Bind(1, cand);
    if (st.Step()) return cand;
  }
  return stored;
}

nlohmann::json RekeyReport::Json() const {
  return {{"users", users}, {"tables", tables}, {"files_rewritten", files_rewritten}, {"files_removed", files_removed},
          {"chain_length", chain_length}, {"vacuumed", vacuumed}, {"wal_truncated", wal_truncated}};
}

namespace {

// Maps every stored id s to H(new_key, s) in the database (one transaction) and in the files.
// The key file is written (path_next, then renamed over path) around the commit.
Result<RekeyReport> Rekey(Workspace& ws, const std::string& new_key, const std::string& chain) {
  // Under the commit lock, as erasure: the state, checkpoints and exports it rewrites are not
  // being saved meanwhile; a command that read the old ids commits after it and is refused
  // (DropErasedUsers, ErasedUserEntities: every id it read is gone).
  auto commit = CommitLock::Acquire(ws, "privacy keygen/rotate");
  if (!commit.ok()) return commit.status();
  RekeyReport rep;
  // What killed writers left (a truncated checkpoint, a federated run's work folder) holds the
  // old ids, which nothing would rewrite: it goes, as erasure removes it.
  for (auto& f : RemoveStaleTempFiles(ws.dir())) rep.files_removed.push_back(std::move(f));
  Db& db = ws.db();
  KGP_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  const std::string key_path = ws.PseudonymKeyPath();
  const std::string next = key_path + ".next";
  KGP_RETURN_IF_ERROR(WritePrivateFile(next, chain));
  std::unordered_map<std::string, std::string> map;
  {
    Txn txn(db);
    ws.RecordPseudonymised();
    KGP_RETURN_IF_ERROR(db.Exec("DROP TABLE IF EXISTS temp.rekey_map; CREATE TEMP TABLE rekey_map(old TEXT PRIMARY KEY, new TEXT NOT NULL)"));
    {
      Stmt sel = db.Prepare("SELECT ext_id FROM users");
      Stmt ins = db.Prepare("INSERT INTO temp.rekey_map(old, new) VALUES(?, ?)");
      while (sel.Step()) {
        std::string old(sel.Text(0)), neu = PseudonymOf(new_key, old);
        ins.Bind(1, old).Bind(2, neu).Run();
        map.emplace(std::move(old), std::move(neu));
      }
    }
    rep.users = map.size();
    auto exec = [&](const char* table, const std::string& sql) -> Status {
      KGP_RETURN_IF_ERROR(db.Exec(sql));
      if (db.Changes() > 0) rep.tables.push_back(table);
      return Status::Ok();
    };
    KGP_RETURN_IF_ERROR(exec("users", "UPDATE users SET ext_id = m.new FROM temp.rekey_map m WHERE users.ext_id = m.old"));
    KGP_RETURN_IF_ERROR(exec("profiles", "UPDATE profiles SET ext_id = m.new FROM temp.rekey_map m WHERE profiles.ext_id = m.old"));
    KGP_RETURN_IF_ERROR(exec("graph_nodes",
        "UPDATE graph_nodes SET key = m.new, label = CASE WHEN label = m.old THEN m.new ELSE label END "
        "FROM temp.rekey_map m WHERE graph_nodes.type = 0 AND graph_nodes.key = m.old"));
    KGP_RETURN_IF_ERROR(exec("entities", "UPDATE entities SET name = m.new FROM temp.rekey_map m WHERE entities.name = m.old"));
    KGP_RETURN_IF_ERROR(exec("entities",
        "UPDATE entities SET name = 'user:' || m.new FROM temp.rekey_map m WHERE entities.name = 'user:' || m.old"));
    // Tables added later (e.g. llm_texts) that keep a user id as text.
    for (const auto& c : TextUserColumns(db, {"users", "profiles"}))
      KGP_RETURN_IF_ERROR(exec(c.table.c_str(), fmt::format("UPDATE \"{0}\" SET \"{1}\" = m.new FROM temp.rekey_map m "
                                                            "WHERE \"{0}\".\"{1}\" = m.old", c.table, c.column)));
    KGP_RETURN_IF_ERROR(db.Exec("DROP TABLE temp.rekey_map"));
    txn.Commit();
  }
  // The store is re-keyed: from now on ingest must use the new chain.
  if (std::rename(next.c_str(), key_path.c_str()) != 0)
    return Status::IoError(fmt::format("{}: cannot install the new key (it is in {}; move it there by hand)", key_path, next));
  rep.chain_length = static_cast<size_t>(std::count(chain.begin(), chain.end(), '\n'));

  // Files that name users.
  const std::string state_path = ws.Path(kProfileStateFile);
  if (fs::exists(state_path)) {
    auto set = LoadProfileSet(state_path);
    if (set.ok()) {
      for (auto& id : set->ext_ids)
        if (auto it = map.find(id); it != map.end()) id = it->second;
      KGP_RETURN_IF_ERROR(SaveProfileSet(state_path, *set));
      rep.files_rewritten.push_back(state_path);
    } else {
      // Unreadable by this version (another format, damaged): a cache holding the old ids goes.
      std::error_code ec;
      if (!fs::remove(state_path, ec)) return Status::IoError(fmt::format("{}: cannot remove: {}", state_path, ec.message()));
      LOG_WRN("{} ({}): removed; run kgprofile profile build", state_path, set.status().message());
      rep.files_removed.push_back(state_path);
    }
  }
  for (const auto& path : CheckpointFiles(ws.dir())) {
    auto ck = embed::LoadCheckpoint(path);
    if (!ck.ok()) return ck.status();
    bool renamed = false;
    for (auto& name : ck->entity_names) {
      if (name.rfind("user:", 0) != 0) continue;
      if (auto it = map.find(name.substr(5)); it != map.end()) name = "user:" + it->second, renamed = true;
    }
    // Held-out edges are chosen by the triples' names: a user's edges are other ones now.
    if (renamed) embed::MarkHoldoutMixed(*ck, "user ids re-keyed by privacy keygen or rotate");
    KGP_RETURN_IF_ERROR(embed::SaveCheckpoint(path, *ck));
    rep.files_rewritten.push_back(path);
  }
  // Exports are copies made under the old ids: remove them (re-run `kgprofile export`).
  for (const auto& f : ListFiles(ws.Path("export"))) {
    std::error_code ec;
    if (fs::remove(f, ec)) rep.files_removed.push_back(f);
  }
  ScrubReport s = ScrubDatabase(db);
  rep.vacuumed = s.vacuumed;
  rep.wal_truncated = s.wal_truncated;
  return rep;
}

}  // namespace

Result<RekeyReport> GenerateKey(Workspace& ws) {
  if (const char* env = std::getenv("KGPROFILE_PSEUDONYM_KEY"); env && *env)
    return Status::InvalidArgument("KGPROFILE_PSEUDONYM_KEY is set: the key is managed outside the workspace");
  const std::string key_path = ws.PseudonymKeyPath();
  if (fs::exists(key_path))
    return Status::InvalidArgument(fmt::format(
        "{}: a key exists already (to replace it use: kgprofile privacy rotate {})", key_path, ws.dir()));
  const bool was_on = ws.Setting("pseudonymize", "false") == "true";
  if (was_on && ws.db().QueryInt("SELECT count(*) FROM users") > 0)
    return Status::InvalidArgument("pseudonymisation is on but its key is missing: the stored pseudonyms cannot be extended");
  const std::string key = NewKeyHex();
  auto rep = Rekey(ws, key, key + "\n");
  if (!rep.ok()) return rep;
  if (!was_on) {
    std::ofstream conf(ws.Path(kConfigFile), std::ios::app);
    conf << "pseudonymize = true\n";
    if (!conf) return Status::IoError(fmt::format("{}: cannot write", ws.Path(kConfigFile)));
  }
  return rep;
}

Result<RekeyReport> RotateKey(Workspace& ws) {
  if (ws.Setting("pseudonymize", "false") != "true")
    return Status::InvalidArgument(fmt::format("{}: pseudonymisation is off (turn it on with: kgprofile privacy keygen {})",
                                               ws.dir(), ws.dir()));
  if (const char* env = std::getenv("KGPROFILE_PSEUDONYM_KEY"); env && *env)
    return Status::InvalidArgument(
        "KGPROFILE_PSEUDONYM_KEY is set: rotate needs the key chain in the key file (unset the variable)");
  auto old = ws.PseudonymKey();
  if (!old.ok()) return old.status();
  const std::string key = NewKeyHex();
  std::string chain = *old;
  if (!chain.empty() && chain.back() != '\n') chain.push_back('\n');
  chain += key + "\n";
  return Rekey(ws, key, chain);
}

}  // namespace kgp::privacy
