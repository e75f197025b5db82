#include "privacy/erase.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <filesystem>
#include <fstream>
#include <type_traits>
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

// The meta row that marks an erasure whose database part is done and whose files are not yet.
std::string PendingKey(const std::string& stored) { return "erase_pending:" + stored; }

// One user of an erasure run.
struct Target {
  std::vector<std::string> given;  // the ids naming the user in the list, as given (the first is the digest's)
  std::string stored;  // as stored (the pseudonym, or the id itself)
  int64_t uid = 0;     // users.id; 0 when finishing a run cut short (the rows are gone)
  ErasureReceipt r;
};

void AddFile(std::vector<std::string>& list, const std::string& f) {
  if (std::find(list.begin(), list.end(), f) == list.end()) list.push_back(f);
}

// Each target's needles (see Needles), as groups for FileContainsEach.
std::vector<std::vector<std::string>> NeedleGroups(const std::vector<Target*>& targets) {
  std::vector<std::vector<std::string>> out;
  for (const Target* t : targets) {
    std::vector<std::string> all;
    for (const auto& g : t->given)
      for (auto& n : Needles(t->stored, g)) all.push_back(std::move(n));
    out.push_back(std::move(all));
  }
  return out;
}

// Rows to delete or find, by a key of theirs (users.id, a stored id, a graph node, a text, a KG
// entity), and whose they are.
using IntOwners = std::map<int64_t, Target*>;
using TextOwners = std::map<std::string, Target*, std::less<>>;

// Runs `sql` over the keys in `owners`: `{}` in it is where a list of them goes (bound, in chunks
// of as many as one statement takes), and each row it returns starts with the key of its owner,
// for `fn(owner, row)`. A statement on a column without an index scans its table once per chunk,
// not once per user.
template <class Owners, class Fn>
void ForOwned(Db& db, const std::string& sql, const Owners& owners, Fn&& fn) {
  constexpr size_t kChunk = 5000;
  auto it = owners.begin();
  while (it != owners.end()) {
    std::vector<typename Owners::const_iterator> chunk;
    for (; it != owners.end() && chunk.size() < kChunk; ++it) chunk.push_back(it);
    std::string params;
    for (size_t k = 0; k < chunk.size(); ++k) params += fmt::format("{}?{}", k ? "," : "", k + 1);
    Stmt st = db.Prepare(fmt::format(fmt::runtime(sql), params));
    for (size_t k = 0; k < chunk.size(); ++k) st.Bind(static_cast<int>(k + 1), chunk[k]->first);
    while (st.Step()) {
      typename Owners::const_iterator owner;
      if constexpr (std::is_same_v<Owners, IntOwners>)
        owner = owners.find(st.Int(0));
      else
        owner = owners.find(st.Text(0));
      if (owner != owners.end()) fn(owner->second, st);
    }
  }
}

// A DELETE … RETURNING key over the keys of `owners`; each receipt counts its rows under `label`.
template <class Owners>
void DeleteOwned(Db& db, const std::string& label, const std::string& sql, const Owners& owners) {
  const auto t0 = std::chrono::steady_clock::now();
  size_t n = 0;
  ForOwned(db, sql, owners, [&](Target* t, Stmt&) { ++t->r.rows[label], ++n; });
  LOG_DBG("erase: {}: {} rows in {:.2f} s", label, n, SecondsSince(t0));
}

// The keys that find each target's rows: users.id; the stored id (text user columns, the graph
// node's key); the names of KG entities ("user:ID" and the bare ID).
struct Keys {
  IntOwners uid;
  TextOwners stored, entity_names;
  explicit Keys(const std::vector<Target*>& targets) {
    for (Target* t : targets) {
      if (t->uid) uid.emplace(t->uid, t);
      stored.emplace(t->stored, t);
      entity_names.emplace(t->stored, t);
      entity_names.emplace("user:" + t->stored, t);
    }
  }
  // fn(the owners of a user column's keys): users.id in an integer column, the stored id in a
  // text one (matching users.id written as text too took the row of another user whose id as
  // ingested was that number).
  template <class Fn>
  void ForColumn(const UserColumn& c, Fn&& fn) const {
    if (c.integer)
      fn(uid);
    else
      fn(stored);
  }
};

// The rows of the users still in `users`, in one transaction with secure_delete on; each
// receipt counts its own rows. Every statement takes all the users at once.
void EraseRows(Db& db, const std::vector<Target*>& targets) {
  const Keys keys(targets);
  Txn txn(db);
  // What the text stage derived from the users' texts.
  IntOwners texts;
  ForOwned(db, "SELECT user_id, id FROM texts WHERE user_id IN ({})", keys.uid,
           [&](Target* t, Stmt& st) { texts.emplace(st.Int(1), t); });
  DeleteOwned(db, "text_edges", "DELETE FROM text_edges WHERE source = 'text' AND source_id IN ({}) RETURNING source_id", texts);
  DeleteOwned(db, "text_sentiment", "DELETE FROM text_sentiment WHERE text_id IN ({}) RETURNING text_id", texts);
  DeleteOwned(db, "text_rejects", "DELETE FROM text_rejects WHERE source = 'text' AND source_id IN ({}) RETURNING source_id", texts);
  // Each segment loses its members (sizes are otherwise refreshed by profile build): an update,
  // not a deletion, so not in the receipts.
  std::map<int64_t, int64_t> left_segment;
  ForOwned(db, "SELECT user_id, cluster FROM profiles WHERE user_id IN ({}) AND cluster IS NOT NULL", keys.uid,
           [&](Target*, Stmt& st) { ++left_segment[st.Int(1)]; });
  for (auto [cluster, n] : left_segment)
    db.Prepare("UPDATE profile_clusters SET size = max(size - ?2, 0) WHERE id = ?1").Bind(1, cluster).Bind(2, n).Run();
  // Graph: the edges from the users' nodes (by the primary key), then those to them (no index on
  // dst: a scan), so that an edge between two of them is counted by its source's receipt; then
  // the nodes.
  IntOwners nodes;
  ForOwned(db, "SELECT key, id FROM graph_nodes WHERE type = 0 AND key IN ({})", keys.stored,
           [&](Target* t, Stmt& st) { nodes.emplace(st.Int(1), t); });
  DeleteOwned(db, "graph_edges", "DELETE FROM graph_edges WHERE src IN ({}) RETURNING src", nodes);
  DeleteOwned(db, "graph_edges", "DELETE FROM graph_edges WHERE dst IN ({}) RETURNING dst", nodes);
  DeleteOwned(db, "graph_nodes", "DELETE FROM graph_nodes WHERE id IN ({}) RETURNING id", nodes);
  // Ingested KG triples naming the users, as "user:ID" or the bare ID.
  IntOwners entities;
  ForOwned(db, "SELECT name, id FROM entities WHERE name IN ({})", keys.entity_names,
           [&](Target* t, Stmt& st) { entities.emplace(st.Int(1), t); });
  DeleteOwned(db, "triples", "DELETE FROM triples WHERE head IN ({}) RETURNING head", entities);
  DeleteOwned(db, "triples", "DELETE FROM triples WHERE tail IN ({}) RETURNING tail", entities);
  DeleteOwned(db, "entities", "DELETE FROM entities WHERE id IN ({}) RETURNING id", entities);
  // Every table with a user_id / ext_id column: events, texts, profiles, profile_tags,
  // user_pii, llm_texts (when the LLM layer is present), users last.
  for (const auto& c : UserColumns(db, {"users"})) {
    const std::string sql = fmt::format("DELETE FROM \"{0}\" WHERE \"{1}\" IN ({{}}) RETURNING \"{1}\"", c.table, c.column);
    keys.ForColumn(c, [&](const auto& owners) { DeleteOwned(db, c.table, sql, owners); });
  }
  DeleteOwned(db, "users", "DELETE FROM users WHERE id IN ({}) RETURNING id", keys.uid);
  // (Events of users erased before, which an older version's moves brought in, went with
  // schema migration 13.)
  // Until the files are done too (Finish): a run cut short is finished by the next one.
  for (Target* t : targets)
    db.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, '')").Bind(1, PendingKey(t->stored)).Run();
  txn.Commit();
}

// The targets a row still names (any user column, the graph node, a KG entity), found by query:
// a short id such as "7" is in the database's bytes as other values.
std::set<Target*> StillStored(Db& db, const std::vector<Target*>& targets) {
  const Keys keys(targets);
  std::set<Target*> out;
  const auto add = [&](Target* t, Stmt&) { out.insert(t); };
  for (const auto& c : UserColumns(db)) {
    const std::string sql = fmt::format("SELECT \"{1}\" FROM \"{0}\" WHERE \"{1}\" IN ({{}})", c.table, c.column);
    keys.ForColumn(c, [&](const auto& owners) { ForOwned(db, sql, owners, add); });
  }
  ForOwned(db, "SELECT key FROM graph_nodes WHERE type = 0 AND key IN ({})", keys.stored, add);
  ForOwned(db, "SELECT name FROM entities WHERE name IN ({})", keys.entity_names, add);
  return out;
}

// The files that may name the users, as stored or as given: the profile state's slots,
// embedding rows (named "user:ID", or ID alone as ingested KG triples name users; and the
// neighbour index built over them), exports. Each file is read and written once for all of
// them; a receipt lists the files that held its user (and those that may have: a state or a
// temporary file removed whole, a k-anonymous table).
Status EraseFromFiles(Workspace& ws, const std::vector<Target*>& targets) {
  const auto to_all = [&](std::vector<std::string> ErasureReceipt::*list, const std::string& f) {
    for (Target* t : targets) AddFile(t->r.*list, f);
  };
  // A writer killed while saving left its temporary file (a truncated checkpoint, a state, an
  // export, any of which may hold the users): it goes. A live writer's stays: those that save
  // under the commit lock have none now, and the others' pids still run.
  for (const auto& f : RemoveStaleTempFiles(ws.dir())) to_all(&ErasureReceipt::files_removed, f);
  auto t0 = std::chrono::steady_clock::now();
  const Keys keys(targets);
  const std::string state_path = ws.Path(kProfileStateFile);
  if (fs::exists(state_path)) {
    auto set = LoadProfileSet(state_path);
    if (!set.ok()) {
      // A state this version cannot read (another format, damaged) may still name the users: it
      // is a cache of the store, so it goes, and the database changes above stand.
      std::error_code ec;
      if (!fs::remove(state_path, ec)) return Status::IoError(fmt::format("{}: cannot remove: {}", state_path, ec.message()));
      LOG_WRN("{} ({}): removed; run kgprofile profile build", state_path, set.status().message());
      to_all(&ErasureReceipt::files_removed, state_path);
    }
    std::vector<Target*> blanked;
    for (size_t u = 0; set.ok() && u < set->ext_ids.size(); ++u) {
      auto it = keys.stored.find(set->ext_ids[u]);
      if (it == keys.stored.end()) continue;
      set->ext_ids[u].clear();
      if (u < set->states.size()) set->states[u] = UserState{};
      blanked.push_back(it->second);
    }
    if (!blanked.empty()) {
      // As of and the items' highest prices no longer count the users' events (a rebuild's).
      RecomputeAfterErasure(ws.db(), set->applied_file_id, &*set);
      KGP_RETURN_IF_ERROR(SaveProfileSet(state_path, *set));
      for (Target* t : blanked) AddFile(t->r.files_rewritten, state_path);
    }
  }
  LOG_DBG("erase: profile state in {:.2f} s", SecondsSince(t0));
  t0 = std::chrono::steady_clock::now();
  // A checkpoint that cannot be read stops the erasure short of its receipts (it may hold the
  // users: the rerun finishes it, see EraseUsers), but only after the other files are done.
  Status unread = Status::Ok();
  for (const auto& path : CheckpointFiles(ws.dir())) {
    auto ck = embed::LoadCheckpoint(path);
    if (!ck.ok()) {
      if (unread.ok()) unread = ck.status();
      LOG_ERR("erase: {}: cannot read it to remove the users' rows: {}", path, ck.status().message());
      continue;
    }
    // Rows named as the store's graph names users ("user:ID") or as KG triples may (the bare ID).
    std::vector<std::string> names;
    std::map<Target*, int64_t> held;  // rows each user has here
    for (const auto& name : ck->entity_names)
      if (auto it = keys.entity_names.find(name); it != keys.entity_names.end()) names.push_back(name), ++held[it->second];
    if (names.empty() || RemoveEntities(*ck, names) == 0) continue;
    KGP_RETURN_IF_ERROR(embed::SaveCheckpoint(path, *ck));
    // Its nearest-neighbour index holds the removed rows too: it goes (`kge index` builds it
    // again; until then predictions scan the rows).
    std::error_code ec;
    const std::string index = embed::IndexPathFor(path);
    const bool index_removed = fs::exists(index, ec) && fs::remove(index, ec);
    for (auto [t, n] : held) {
      AddFile(t->r.files_rewritten, path);
      t->r.rows["embedding_rows"] += n;
      if (index_removed) AddFile(t->r.files_removed, index);
    }
  }
  // Exports: a file naming a user goes, and with a Neo4j export's CSVs its import.cypher (which
  // loads them). A k-anonymous profile table names nobody but holds the users' generalised rows,
  // and its k was reached with them: it goes too (export it again).
  const auto groups = NeedleGroups(targets);
  const std::string kanon_header = ProfileExportHeader() + "\n";
  std::map<fs::path, std::set<Target*>> csv_dirs;  // folders of CSVs removed → whose they were
  for (const auto& f : ListFiles(ws.Path("export"))) {
    auto hit = FileContainsEach(f, groups, /*whole_ids=*/true);
    std::vector<Target*> holders;
    for (size_t i = 0; hit.ok() && i < targets.size(); ++i)
      if ((*hit)[i]) holders.push_back(targets[i]);
    if (holders.empty()) {
      std::ifstream in(f, std::ios::binary);
      std::string head(kanon_header.size(), '\0');
      if (in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == kanon_header) holders = targets;
    }
    std::error_code ec;
    if (holders.empty() || !fs::remove(f, ec)) continue;
    for (Target* t : holders) AddFile(t->r.files_removed, f);
    if (fs::path(f).extension() == ".csv") csv_dirs[fs::path(f).parent_path()].insert(holders.begin(), holders.end());
  }
  // With a Neo4j export's CSVs goes its import.cypher, which loads them: in the receipts of
  // every user whose CSVs went.
  for (const auto& [dir, holders] : csv_dirs) {
    const fs::path script = dir / "import.cypher";
    std::error_code ec;
    if (fs::exists(script, ec) && fs::remove(script, ec))
      for (Target* t : holders) AddFile(t->r.files_removed, script.string());
  }
  LOG_DBG("erase: checkpoints and exports in {:.2f} s", SecondsSince(t0));
  return unread;
}

// The receipts into the database, the database scrubbed once, and (opts.verify) every workspace
// file scanned once for every id.
void Finish(Workspace& ws, const std::vector<Target*>& targets, const EraseOptions& opts) {
  Db& db = ws.db();
  {
    Txn txn(db);
    for (Target* t : targets) {
      db.Prepare("DELETE FROM meta WHERE key = ?1").Bind(1, PendingKey(t->stored)).Run();
      Stmt ins = db.Prepare("INSERT INTO erasure_receipts(id, ts, digest, report) VALUES(?, ?, ?, ?)");
      ins.Bind(1, t->r.id).Bind(2, t->r.ts).Bind(3, t->r.digest).Bind(4, t->r.StoredJson().dump()).Run();
    }
    txn.Commit();
  }
  auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  const auto bytes = fs::file_size(ws.Path(kDbFile), ec);
  LOG_INF("erase: vacuuming the database ({} MB), so that no free page keeps deleted bytes", ec ? 0 : bytes >> 20);
  const ScrubReport s = ScrubDatabase(db);
  for (Target* t : targets) t->r.vacuumed = s.vacuumed, t->r.wal_truncated = s.wal_truncated;
  LOG_DBG("erase: database scrubbed (vacuum, WAL) in {:.2f} s", SecondsSince(t0));
  if (!opts.verify) return;
  t0 = std::chrono::steady_clock::now();
  // The database by query; its deleted bytes are gone with secure_delete, VACUUM and the WAL
  // truncation reported above.
  const fs::path db_file = fs::path(ws.Path(kDbFile));
  for (Target* t : StillStored(db, targets)) t->r.residual_files.push_back(db_file.string());
  const auto groups = NeedleGroups(targets);
  for (const auto& f : ListFiles(ws.dir())) {
    // The server's lock names a pid only, and opening it could drop the lock where flock is
    // emulated by process-wide POSIX locks (NFS).
    // The commit lock names a command and a pid (and is held here).
    const fs::path name = fs::path(f).filename();
    if (fs::path(f) == db_file || name == kServeLockFile || name == kCommitLockFile) continue;
    auto hit = FileContainsEach(f, groups, /*whole_ids=*/true);
    for (size_t i = 0; i < targets.size(); ++i)
      if (!hit.ok() || (*hit)[i]) targets[i]->r.residual_files.push_back(f);
  }
  Txn txn(db);
  for (Target* t : targets) {
    // Deleted pages may still be in a WAL that another connection kept from being truncated.
    t->r.verified = t->r.residual_files.empty() && t->r.vacuumed && t->r.wal_truncated;
    // Record the outcome of the scan too (the row was written before it).
    Stmt upd = db.Prepare("UPDATE erasure_receipts SET report = ? WHERE id = ?");
    upd.Bind(1, t->r.StoredJson().dump()).Bind(2, t->r.id).Run();
  }
  txn.Commit();
  LOG_DBG("erase: every file verified for {} users in {:.2f} s", targets.size(), SecondsSince(t0));
}

}  // namespace

Result<std::vector<Result<ErasureReceipt>>> EraseUsers(Workspace& ws, const std::vector<std::string>& user_ids,
                                                       const EraseOptions& opts) {
  std::vector<Result<ErasureReceipt>> out(user_ids.size(), Status::Internal("not run"));
  // For the whole run: a command that read a user before cannot write them back between the
  // database step and the files, or after (it commits under this lock, dropping erased users).
  auto commit = CommitLock::Acquire(ws, "erase", opts.lock_wait_s);
  if (!commit.ok()) return commit.status();
  auto key = ws.PseudonymKey();
  if (!key.ok()) return key.status();
  Db& db = ws.db();
  std::vector<Target> targets(user_ids.size());
  std::vector<Target*> live, pending;  // still in `users`; cut short after their rows went
  std::unordered_map<std::string, size_t> seen;  // stored id → index of the first id naming it
  std::vector<std::pair<size_t, size_t>> same;   // (index, index of the first id naming the same user)
  for (size_t i = 0; i < user_ids.size(); ++i) {
    const std::string& given = user_ids[i];
    if (Trim(given).empty()) {
      out[i] = Status::InvalidArgument("erase: empty user id");
      continue;
    }
    // The stored form: the id itself when it is stored (a pseudonym passed by a caller that only
    // sees stored ids), else the pseudonym of the id as given, as ResolveUserId resolves it. The
    // id itself first: where an older kgprofile stored a posted pseudonym P again as a second
    // user H(P), P is the person.
    Target& t = targets[i];
    const std::string pseudonym = PseudonymOf(*key, given);
    for (const std::string& cand : {given, pseudonym}) {
      Stmt st = db.Prepare("SELECT id FROM users WHERE ext_id = ?");
      st.Bind(1, cand);
      if (st.Step()) {
        t.uid = st.Int(0);
        t.stored = cand;
        break;
      }
    }
    // Not in the store: an erasure cut short (killed, or a file it could not rewrite) after its
    // database transaction left its marker; this run finishes the files. Anything else is not
    // a user here, and nothing is touched.
    for (const std::string& cand : {given, pseudonym}) {
      if (t.uid) break;
      Stmt st = db.Prepare("SELECT 1 FROM meta WHERE key = ?1");
      if (st.Bind(1, PendingKey(cand)).Step()) {
        t.stored = cand;
        break;
      }
    }
    if (t.stored.empty()) {
      out[i] = Status::NotFound(fmt::format("erase: no such user in {}", ws.dir()));
      continue;
    }
    // The same user named again (its raw id and its pseudonym, say): one erasure, whose files are
    // searched for every form given, and one receipt for both.
    if (auto [it, fresh] = seen.emplace(t.stored, i); !fresh) {
      targets[it->second].given.push_back(given);
      same.emplace_back(i, it->second);
      t.stored.clear();
      continue;
    }
    t.given.push_back(given);
    t.r.id = RandomHex(16);
    t.r.ts = static_cast<int64_t>(std::time(nullptr));
    t.r.verification_code = RandomHex(16);
    t.r.digest = HexEncode(HmacSha256(t.r.verification_code, given));
    (t.uid ? live : pending).push_back(&t);
  }
  if (live.empty() && pending.empty()) return out;
  if (!pending.empty())
    LOG_INF("erase: finishing {} erasure(s) cut short: the database rows are gone, the files follow", pending.size());
  if (!live.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    KGP_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
    EraseRows(db, live);
    LOG_INF("erase: the rows of {} user(s) deleted in {:.1f} s; the files follow", live.size(), SecondsSince(t0));
  }
  std::vector<Target*> all = live;
  all.insert(all.end(), pending.begin(), pending.end());
  KGP_RETURN_IF_ERROR(EraseFromFiles(ws, all));
  Finish(ws, all, opts);
  for (auto [i, first] : same) out[i] = targets[first].r;
  for (size_t i = 0; i < targets.size(); ++i)
    if (!targets[i].stored.empty()) out[i] = std::move(targets[i].r);
  return out;
}

Result<ErasureReceipt> EraseUser(Workspace& ws, std::string_view user_id, const EraseOptions& opts) {
  if (Trim(user_id).empty()) return Status::InvalidArgument("erase: empty user id");
  auto r = EraseUsers(ws, {std::string(user_id)}, opts);
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

}  // namespace kgp::privacy
