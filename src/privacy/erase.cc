#include "privacy/erase.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "graph/export.h"
#include "embed/ann.h"
#include "embed/checkpoint.h"
#include "embed/kge.h"
#include "privacy/export_profiles.h"
#include "privacy/files.h"
#include "privacy/schema_scan.h"
#include "profile/builder.h"
#include "profile/pipeline.h"
#include "store/commit_lock.h"
#include "store/writer.h"

namespace kgp::privacy {
namespace fs = std::filesystem;

nlohmann::json ErasureReceipt::StoredJson() const {
  return {{"receipt", id}, {"ts", ts}, {"digest", digest}, {"rows", rows}, {"files_rewritten", files_rewritten},
          {"files_removed", files_removed}, {"vacuumed", vacuumed}, {"wal_truncated", wal_truncated},
          {"verified", verified}, {"residual_files", residual_files}};
}

nlohmann::json ErasureReceipt::Json() const {
  auto j = StoredJson();
  j["verification_code"] = verification_code;
  return j;
}

namespace {

std::string RandomHex(size_t bytes) {
  std::string b(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), static_cast<int>(bytes)) != 1)
    throw Error(Status::Internal("OpenSSL RAND_bytes failed"));
  return HexEncode(b);
}

}  // namespace

size_t RemoveEntities(embed::Checkpoint& ck, const std::vector<std::string>& names) {
  const size_t w = ck.params.entity_width;
  size_t out = 0, removed = 0;
  auto move_rows = [&](embed::FloatTable& t, size_t width, size_t from, size_t to) {
    if (t.size() >= (from + 1) * width && from != to)
      std::copy(t.begin() + static_cast<ptrdiff_t>(from * width), t.begin() + static_cast<ptrdiff_t>((from + 1) * width),
                t.begin() + static_cast<ptrdiff_t>(to * width));
  };
  auto& os = ck.optimizer.entity;
  const std::unordered_set<std::string_view> drop(names.begin(), names.end());  // many names (kge train --resume)
  for (size_t i = 0; i < ck.entity_names.size(); ++i) {
    if (drop.count(ck.entity_names[i])) {
      ++removed;
      continue;
    }
    if (i != out) {
      ck.entity_names[out] = std::move(ck.entity_names[i]);
      move_rows(ck.params.entity, w, i, out);
      if (ck.has_optimizer) {
        move_rows(os.a, w, i, out);
        move_rows(os.b, w, i, out);
        if (os.pow1.size() > i) os.pow1[out] = os.pow1[i];
        if (os.pow2.size() > i) os.pow2[out] = os.pow2[i];
      }
    }
    ++out;
  }
  if (!removed) return 0;
  ck.entity_names.resize(out);
  ck.params.num_entities = out;
  ck.params.entity.resize(out * w);
  if (!os.a.empty()) os.a.resize(out * w);
  if (!os.b.empty()) os.b.resize(out * w);
  if (!os.pow1.empty()) os.pow1.resize(out);
  if (!os.pow2.empty()) os.pow2.resize(out);
  return removed;
}

std::vector<std::string> ErasedUserEntities(Db& db, const embed::Checkpoint& ck) {
  std::unordered_set<std::string> stored;
  for (Stmt st = db.Prepare("SELECT ext_id FROM users"); st.Step();) stored.emplace(st.Text(0));
  // "user:ID" names a user of the store's graph; the bare ID goes with it, as erasure removes it.
  std::vector<std::string> gone;
  size_t users = 0;
  for (const auto& name : ck.entity_names)
    if (name.starts_with("user:") && (++users, !stored.count(name.substr(5))))
      gone.push_back(name), gone.push_back(name.substr(5));
  // Every user gone while the store has users: renamed by a key change, not erased.
  if (!gone.empty() && gone.size() / 2 == users && !stored.empty())
    throw Error(Status::Aborted(fmt::format(
        "none of the {} users of the trained model is in the store any more, though it holds {}: their ids changed "
        "meanwhile (privacy keygen or rotate); train again",
        users, stored.size())));
  if (!gone.empty()) LOG_INF("{} users erased from the store meanwhile: their rows are left out", gone.size() / 2);
  return gone;
}

namespace {

// Deletes with a row count recorded under `label`; its time in the debug log (-v).
void Delete(Db& db, ErasureReceipt& r, const std::string& label, const std::string& sql,
            const std::function<void(Stmt&)>& bind) {
  const auto t0 = std::chrono::steady_clock::now();
  Stmt st = db.Prepare(sql);
  bind(st);
  st.Run();
  if (db.Changes() > 0) r.rows[label] += db.Changes();
  LOG_DBG("erase: {}: {} rows in {:.2f} s", label, db.Changes(), SecondsSince(t0));
}

// What names the user in a file: "user:" and the id as exports and checkpoints write it (as
// is, with CSV's doubled quotes, percent-encoded as an IRI segment; "user/ID>" in full IRIs), for the stored id and the
// id as given; the bare ids too when they are distinctive (8 bytes or more), since a short id
// ("7") is also a price, a count or a byte of a float.
std::vector<std::string> Needles(const std::string& stored, std::string_view given) {
  std::vector<std::string> out;
  for (const std::string& id : {stored, std::string(given)}) {
    std::string csv;
    for (char c : id) csv += c == '"' ? std::string("\"\"") : std::string(1, c);
    // user:ID (Neo4j ids, Turtle prefixed names, checkpoint entity names) and user/ID> (the
    // full IRIs of N-Triples and Turtle: <urn:kgprofile:user/ID>).
    for (const std::string& form : {id, csv, PercentEncodeIriSegment(id)}) out.push_back("user:" + form);
    out.push_back("user/" + PercentEncodeIriSegment(id) + ">");
    if (id.size() >= 8) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// True when a row still names the user: any user column, the graph node, a KG entity.
bool StillStored(Db& db, int64_t uid, const std::string& stored, const std::string& spec) {
  for (const auto& c : UserColumns(db)) {
    Stmt st = db.Prepare(c.integer ? fmt::format("SELECT 1 FROM \"{}\" WHERE \"{}\" = ?1 LIMIT 1", c.table, c.column)
                                   : fmt::format("SELECT 1 FROM \"{}\" WHERE \"{}\" = ?2 LIMIT 1", c.table, c.column));
    st.Bind(1, uid).Bind(2, stored);
    if (st.Step()) return true;
  }
  Stmt node = db.Prepare("SELECT 1 FROM graph_nodes WHERE type = 0 AND key = ?1 LIMIT 1");
  node.Bind(1, stored);
  if (node.Step()) return true;
  Stmt ent = db.Prepare("SELECT 1 FROM entities WHERE name IN (?1, ?2) LIMIT 1");
  ent.Bind(1, stored).Bind(2, spec);
  return ent.Step();
}

// The meta row that marks an erasure whose database part is done and whose files are not yet.
std::string PendingKey(const std::string& stored) { return "erase_pending:" + stored; }

// The files that may name the user, as stored or as given: the profile state's slot, embedding
// rows (named "user:ID", or ID alone as ingested KG triples name users; and the neighbour index
// built over them), exports.
Status EraseFromFiles(Workspace& ws, const std::string& stored, std::string_view given, ErasureReceipt& r) {
  // A writer killed while saving left its temporary file (a truncated checkpoint, a state, an
  // export, any of which may hold the user): it goes. A live writer's stays: those that save
  // under the commit lock have none now, and the others' pids still run.
  for (auto& f : RemoveStaleTempFiles(ws.dir())) r.files_removed.push_back(std::move(f));
  auto t0 = std::chrono::steady_clock::now();
  const std::string state_path = ws.Path(kProfileStateFile);
  if (fs::exists(state_path)) {
    auto set = LoadProfileSet(state_path);
    if (!set.ok()) {
      // A state this version cannot read (another format, damaged) may still name the user: it
      // is a cache of the store, so it goes, and the database changes above stand.
      std::error_code ec;
      if (!fs::remove(state_path, ec)) return Status::IoError(fmt::format("{}: cannot remove: {}", state_path, ec.message()));
      LOG_WRN("{} ({}): removed; run kgprofile profile build", state_path, set.status().message());
      r.files_removed.push_back(state_path);
    }
    bool changed = false;
    for (size_t u = 0; set.ok() && u < set->ext_ids.size(); ++u) {
      if (set->ext_ids[u] != stored) continue;
      set->ext_ids[u].clear();
      if (u < set->states.size()) set->states[u] = UserState{};
      changed = true;
    }
    if (changed) {
      // As of and the items' highest prices no longer count the user's events (a rebuild's).
      RecomputeAfterErasure(ws.db(), set->applied_file_id, &*set);
      KGP_RETURN_IF_ERROR(SaveProfileSet(state_path, *set));
      r.files_rewritten.push_back(state_path);
    }
  }
  LOG_DBG("erase: profile state in {:.2f} s", SecondsSince(t0));
  t0 = std::chrono::steady_clock::now();
  // A checkpoint that cannot be read stops the erasure short of its receipt (it may hold the
  // user: the rerun finishes it, see EraseUser), but only after the other files are done.
  Status unread = Status::Ok();
  for (const auto& path : CheckpointFiles(ws.dir())) {
    auto ck = embed::LoadCheckpoint(path);
    if (!ck.ok()) {
      if (unread.ok()) unread = ck.status();
      LOG_ERR("erase: {}: cannot read it to remove the user's row: {}", path, ck.status().message());
      continue;
    }
    if (size_t n = RemoveEntities(*ck, {"user:" + stored, stored}); n > 0) {
      KGP_RETURN_IF_ERROR(embed::SaveCheckpoint(path, *ck));
      r.files_rewritten.push_back(path);
      r.rows["embedding_rows"] += static_cast<int64_t>(n);
    }
  }
  // A checkpoint's nearest-neighbour index holds the removed rows too: it goes (`kge index`
  // builds it again; until then predictions scan the rows).
  for (const auto& path : r.files_rewritten) {
    std::error_code ec;
    const std::string index = embed::IndexPathFor(path);
    if (fs::exists(index, ec) && fs::remove(index, ec)) r.files_removed.push_back(index);
  }
  // Exports: a file naming the user goes, and with a Neo4j export's CSVs its import.cypher (which
  // loads them). A k-anonymous profile table names nobody but holds the user's generalised row,
  // and its k was reached with it: it goes too (export it again).
  const std::vector<std::string> needles = Needles(stored, given);
  const std::string kanon_header = ProfileExportHeader() + "\n";
  std::vector<std::string> removed;
  for (const auto& f : ListFiles(ws.Path("export"))) {
    auto hit = FileContains(f, needles, /*whole_ids=*/true);
    bool drop = hit.ok() && *hit;
    if (!drop) {
      std::ifstream in(f, std::ios::binary);
      std::string head(kanon_header.size(), '\0');
      drop = in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == kanon_header;
    }
    std::error_code ec;
    if (drop && fs::remove(f, ec)) removed.push_back(f);
  }
  for (const auto& f : std::vector<std::string>(removed)) {
    const fs::path script = fs::path(f).parent_path() / "import.cypher";
    std::error_code ec;
    if (fs::path(f).extension() == ".csv" && fs::exists(script, ec) && fs::remove(script, ec))
      removed.push_back(script.string());
  }
  r.files_removed.insert(r.files_removed.end(), removed.begin(), removed.end());
  LOG_DBG("erase: checkpoints and exports in {:.2f} s", SecondsSince(t0));
  return unread;
}

// The receipt into the database, the database scrubbed, and (opts.verify) every workspace file
// scanned for the id.
Result<ErasureReceipt> Finish(Workspace& ws, std::string_view user_id, const std::string& stored, int64_t uid,
                              const EraseOptions& opts, ErasureReceipt& r) {
  Db& db = ws.db();
  db.Prepare("DELETE FROM meta WHERE key = ?1").Bind(1, PendingKey(stored)).Run();
  {
    Stmt ins = db.Prepare("INSERT INTO erasure_receipts(id, ts, digest, report) VALUES(?, ?, ?, ?)");
    ins.Bind(1, r.id).Bind(2, r.ts).Bind(3, r.digest).Bind(4, r.StoredJson().dump()).Run();
  }
  auto t0 = std::chrono::steady_clock::now();
  ScrubReport s = ScrubDatabase(db);
  r.vacuumed = s.vacuumed;
  r.wal_truncated = s.wal_truncated;
  LOG_DBG("erase: database scrubbed (vacuum, WAL) in {:.2f} s", SecondsSince(t0));
  t0 = std::chrono::steady_clock::now();
  if (opts.verify) {
    // The database by query (a short id such as "7" is in its bytes as other values); its
    // deleted bytes are gone with secure_delete, VACUUM and the WAL truncation reported above.
    if (StillStored(db, uid, stored, "user:" + stored)) r.residual_files.push_back(ws.Path("kgprofile.db"));
    const fs::path db_file = fs::path(ws.Path("kgprofile.db"));
    for (const auto& f : ListFiles(ws.dir())) {
      // The server's lock names a pid only, and opening it could drop the lock where flock is
      // emulated by process-wide POSIX locks (NFS).
      // The commit lock names a command and a pid (and is held here).
      const fs::path name = fs::path(f).filename();
      if (fs::path(f) == db_file || name == kServeLockFile || name == kCommitLockFile) continue;
      auto hit = FileContains(f, Needles(stored, user_id), /*whole_ids=*/true);
      if (!hit.ok() || *hit) r.residual_files.push_back(f);
    }
    // Deleted pages may still be in a WAL that another connection kept from being truncated.
    r.verified = r.residual_files.empty() && r.vacuumed && r.wal_truncated;
    // Record the outcome of the scan too (the row was written before it).
    Stmt upd = db.Prepare("UPDATE erasure_receipts SET report = ? WHERE id = ?");
    upd.Bind(1, r.StoredJson().dump()).Bind(2, r.id).Run();
    LOG_DBG("erase: every file verified in {:.2f} s", SecondsSince(t0));
  }
  return r;
}

}  // namespace

Result<ErasureReceipt> EraseUser(Workspace& ws, std::string_view user_id, const EraseOptions& opts) {
  if (Trim(user_id).empty()) return Status::InvalidArgument("erase: empty user id");
  // For the whole run: a command that read the user before cannot write them back between the
  // database step and the files, or after (it commits under this lock, dropping erased users).
  auto commit = CommitLock::Acquire(ws, "erase", opts.lock_wait_s);
  if (!commit.ok()) return commit.status();
  auto key = ws.PseudonymKey();
  if (!key.ok()) return key.status();
  Db& db = ws.db();
  // The stored form: the pseudonym of the id as given, else the id itself (a pseudonym passed
  // by a caller that only sees stored ids).
  std::string stored = PseudonymOf(*key, user_id);
  int64_t uid = 0;
  for (const std::string& cand : {stored, std::string(user_id)}) {
    Stmt st = db.Prepare("SELECT id FROM users WHERE ext_id = ?");
    st.Bind(1, cand);
    if (st.Step()) {
      uid = st.Int(0);
      stored = cand;
      break;
    }
  }
  ErasureReceipt r;
  r.id = RandomHex(16);
  r.ts = static_cast<int64_t>(std::time(nullptr));
  r.verification_code = RandomHex(16);
  r.digest = HexEncode(HmacSha256(r.verification_code, user_id));
  if (!uid) {
    // Not in the store: an erasure cut short (killed, or a file it could not rewrite) after its
    // database transaction left its marker; this run finishes the files. Anything else is not
    // a user here, and nothing is touched.
    std::string pending;
    for (const std::string& cand : {stored, std::string(user_id)}) {
      Stmt st = db.Prepare("SELECT 1 FROM meta WHERE key = ?1");  // closed before the scrub
      st.Bind(1, PendingKey(cand));
      if (st.Step()) {
        pending = cand;
        break;
      }
    }
    if (pending.empty()) return Status::NotFound(fmt::format("erase: no such user in {}", ws.dir()));
    LOG_INF("erase: finishing an erasure cut short: the database rows are gone, the files follow");
    KGP_RETURN_IF_ERROR(EraseFromFiles(ws, pending, user_id, r));
    return Finish(ws, user_id, pending, uid, opts, r);
  }

  KGP_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  const std::string spec = "user:" + stored;
  {
    Txn txn(db);
    auto by_uid = [&](Stmt& st) { st.Bind(1, uid); };
    // What the text stage derived from the user's texts.
    Delete(db, r, "text_edges", "DELETE FROM text_edges WHERE source = 'text' AND source_id IN (SELECT id FROM texts WHERE user_id = ?1)", by_uid);
    Delete(db, r, "text_sentiment", "DELETE FROM text_sentiment WHERE text_id IN (SELECT id FROM texts WHERE user_id = ?1)", by_uid);
    Delete(db, r, "text_rejects", "DELETE FROM text_rejects WHERE source = 'text' AND source_id IN (SELECT id FROM texts WHERE user_id = ?1)", by_uid);
    // The segment loses a member (sizes are otherwise refreshed by profile build).
    Delete(db, r, "profile_clusters",
           "UPDATE profile_clusters SET size = max(size - 1, 0) WHERE id = (SELECT cluster FROM profiles WHERE user_id = ?1)",
           by_uid);
    r.rows.erase("profile_clusters");  // an update, not a deletion
    // Graph: the user's node and every edge touching it.
    Delete(db, r, "graph_edges",
           "DELETE FROM graph_edges WHERE src IN (SELECT id FROM graph_nodes WHERE type = 0 AND key = ?1) "
           "OR dst IN (SELECT id FROM graph_nodes WHERE type = 0 AND key = ?1)",
           [&](Stmt& st) { st.Bind(1, stored); });
    Delete(db, r, "graph_nodes", "DELETE FROM graph_nodes WHERE type = 0 AND key = ?1", [&](Stmt& st) { st.Bind(1, stored); });
    // Ingested KG triples naming the user.
    auto by_names = [&](Stmt& st) { st.Bind(1, stored).Bind(2, spec); };
    Delete(db, r, "triples",
           "DELETE FROM triples WHERE head IN (SELECT id FROM entities WHERE name IN (?1, ?2)) "
           "OR tail IN (SELECT id FROM entities WHERE name IN (?1, ?2))", by_names);
    Delete(db, r, "entities", "DELETE FROM entities WHERE name IN (?1, ?2)", by_names);
    // Every table with a user_id / ext_id column: events, texts, profiles, profile_tags,
    // user_pii, llm_texts (when the LLM layer is present), users last.
    for (const auto& c : UserColumns(db, {"users"})) {
      if (c.integer)
        Delete(db, r, c.table, fmt::format("DELETE FROM \"{}\" WHERE \"{}\" = ?1", c.table, c.column), by_uid);
      else
        Delete(db, r, c.table, fmt::format("DELETE FROM \"{}\" WHERE \"{}\" IN (?1, ?2)", c.table, c.column),
               [&](Stmt& st) { st.Bind(1, stored).Bind(2, std::to_string(uid)); });
    }
    Delete(db, r, "users", "DELETE FROM users WHERE id = ?1", by_uid);
    // (Events of users erased before, which an older version's moves brought in, went with
    // schema migration 13.)
    // Until the files are done too (Finish): a run cut short is finished by the next one.
    db.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, '')").Bind(1, PendingKey(stored)).Run();
    txn.Commit();
  }

  KGP_RETURN_IF_ERROR(EraseFromFiles(ws, stored, user_id, r));

  return Finish(ws, user_id, stored, uid, opts, r);
}

}  // namespace kgp::privacy
