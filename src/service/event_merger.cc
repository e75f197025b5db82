#include "service/event_merger.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>

#include "common/log.h"

namespace kgp::service {

Status AttachInbox(Db& db, const std::string& inbox_path, const char* synchronous) {
  try {
    Stmt attach = db.Prepare("ATTACH DATABASE ?1 AS inbox");
    attach.Bind(1, inbox_path).Run();
  } catch (const std::exception& e) {
    return Status::IoError(fmt::format("{}: cannot open the event inbox: {}", inbox_path, e.what()));
  }
  KGP_RETURN_IF_ERROR(db.Exec(fmt::format(
      "PRAGMA inbox.journal_mode=WAL; PRAGMA inbox.synchronous={}; "
      "CREATE TABLE IF NOT EXISTS inbox.service_event_inbox(seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
      "user_id INTEGER NOT NULL, item_id INTEGER NOT NULL, type INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
      "price REAL, session INTEGER, file_id INTEGER, variant INTEGER)",
      synchronous)));
  return AddInboxVariant(db, "inbox");
}

Status AddInboxVariant(Db& db, const std::string& schema) {
  // PRAGMA with the schema named: the table-valued pragma_table_info() would look in main first.
  Stmt cols = db.Prepare(fmt::format("PRAGMA {}.table_info(service_event_inbox)", schema));
  bool has = false, any = false;
  while (cols.Step()) any = true, has |= cols.Text(1) == "variant";
  if (!any || has) return Status::Ok();
  return db.Exec(fmt::format("ALTER TABLE {}.service_event_inbox ADD COLUMN variant INTEGER", schema));
}

Result<size_t> MoveLeftoverStaged(Db& db) {
  try {
    Txn txn(db);
    size_t rows = 0;
    if (db.QueryInt("SELECT count(*) FROM main.sqlite_master WHERE name = 'service_event_inbox'") > 0) {
      KGP_RETURN_IF_ERROR(AddInboxVariant(db, "main"));
      rows += CopyStagedEvents(db, "main.service_event_inbox", 0, INT64_MAX);  // the older rows
      db.ExecOrThrow("DROP TABLE main.service_event_inbox");
    }
    rows += CopyStagedEvents(db, "inbox.service_event_inbox", 0, INT64_MAX);
    db.ExecOrThrow("DELETE FROM inbox.service_event_inbox");
    // The ingest_files row of such a run stayed 'running' for ever: closed, with the events
    // stored under it (no server runs now: ours inserts its row after this).
    // One scan of events (there is no index by file) for all such rows, and none without any.
    std::unordered_map<int64_t, int64_t> stored;  // row id → events stored under it
    for (Stmt st = db.Prepare("SELECT id FROM ingest_files WHERE format = 'api' AND status = 'running'"); st.Step();)
      stored[st.Int(0)] = 0;
    if (!stored.empty()) {
      for (Stmt st = db.Prepare("SELECT file_id, count(*) FROM events WHERE file_id IN (SELECT id FROM ingest_files "
                                "WHERE format = 'api' AND status = 'running') GROUP BY file_id");
           st.Step();)
        stored[st.Int(0)] = st.Int(1);
      Stmt close = db.Prepare(
          "UPDATE ingest_files SET status = 'interrupted', finished = CAST(strftime('%s', 'now') AS INTEGER), "
          "records = ?2, events_new = ?2, "
          "message = 'the server did not stop cleanly; the events it acknowledged were moved in later' WHERE id = ?1");
      for (const auto& [id, n] : stored) close.Bind(1, id).Bind(2, n).Run();
    }
    txn.Commit();
    return rows;
  } catch (const std::exception& e) {
    return Status::IoError(fmt::format("{}: moving staged events: {}", db.path(), e.what()));
  }
}

Result<size_t> RecoverStagedEvents(Workspace& ws) {
  const std::string inbox = ws.Path(kInboxFile);
  std::error_code ec;
  if (!std::filesystem::exists(inbox, ec)) return size_t{0};
  auto hold = ServeLock::Share(ws, "", "");  // no server starts while the rows move
  if (!hold.ok()) return size_t{0};          // one runs: it moves its own
  KGP_RETURN_IF_ERROR(AttachInbox(ws.db(), inbox, "FULL"));
  auto moved = MoveLeftoverStaged(ws.db());
  Status detached = ws.db().Exec("DETACH DATABASE inbox");
  if (moved.ok() && !detached.ok()) return detached;
  if (moved.ok() && *moved)
    LOG_INF("{}: moved {} events a server acknowledged but did not store (it did not stop cleanly)", ws.dir(), *moved);
  return moved;
}

size_t CopyStagedEvents(Db& db, const std::string& table, int64_t after, int64_t upto) {
  // A row of a user erased since it was staged stays out: it names a user id no longer in
  // `users` (ids are never given again: migration 11).
  const std::string erased = "user_id NOT IN (SELECT id FROM main.users)";
  Stmt move = db.Prepare(fmt::format(
      "INSERT OR IGNORE INTO main.events(key, user_id, item_id, type, ts, value, price, session, file_id, variant) "
      "SELECT key, user_id, item_id, type, ts, value, price, session, file_id, variant FROM {} "
      "WHERE seq > ?1 AND seq <= ?2 AND NOT {} ORDER BY key",
      table, erased));
  move.Bind(1, after).Bind(2, upto).Run();
  size_t rows = 0;
  std::unordered_map<int64_t, std::pair<double, double>> prices;  // item → its last and highest price
  Stmt read = db.Prepare(fmt::format("SELECT item_id, price, {} FROM {} WHERE seq > ?1 AND seq <= ?2 ORDER BY seq", erased, table));
  read.Bind(1, after).Bind(2, upto);
  while (read.Step()) {
    ++rows;
    if (read.Int(2) || read.IsNull(1) || read.Double(1) < 0) continue;
    auto [it, fresh] = prices.try_emplace(read.Int(0), read.Double(1), read.Double(1));
    it->second.first = read.Double(1);
    it->second.second = std::max(it->second.second, read.Double(1));
  }
  // The list price only rises: above it, the list moved; below it, a sale (StoreWriter does the same).
  Stmt price = db.Prepare(
      "UPDATE main.items SET price = ?2, list_price = max(coalesce(list_price, ?3), ?3) "
      "WHERE id = ?1 AND (price IS NOT ?2 OR list_price IS NULL OR list_price < ?3)");
  for (const auto& [item, p] : prices) price.Bind(1, item).Bind(2, p.first).Bind(3, p.second).Run();
  return rows;
}

Result<std::unique_ptr<EventMerger>> EventMerger::Start(const std::string& db_path, const std::string& inbox_path,
                                                        int64_t merged, bool durable, Metrics* metrics) {
  std::unique_ptr<EventMerger> m(new EventMerger(metrics, merged));
  auto db = Db::Open(db_path, /*create=*/false);
  if (!db.ok()) return db.status();
  m->db_ = std::move(db).value();
  // A move must be on disk before the writer deletes its rows from the inbox.
  if (durable) KGP_RETURN_IF_ERROR(m->db_->Exec("PRAGMA synchronous=FULL"));
  KGP_RETURN_IF_ERROR(AttachInbox(*m->db_, inbox_path, durable ? "FULL" : "NORMAL"));
  // A move reads every page it writes once: a smaller page cache than the default costs it little.
  KGP_RETURN_IF_ERROR(m->db_->SetCacheKb(kCacheKb));
  m->thread_ = std::thread([p = m.get()] { p->Loop(); });
  return m;
}

EventMerger::~EventMerger() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventMerger::Staged(int64_t seq) {
  bool due;
  {
    std::lock_guard lock(mu_);
    staged_ = seq;
    last_staged_ = Clock::now();
    due = staged_ - merged() >= static_cast<int64_t>(kMergeRows);
  }
  if (due) cv_.notify_one();
}

size_t EventMerger::MergeAll() {
  int64_t upto;
  {
    std::lock_guard lock(mu_);
    upto = staged_;
  }
  std::lock_guard move(move_mu_);
  size_t rows = 0;
  while (merged() < upto) rows += MoveUpTo(std::min(upto, merged() + static_cast<int64_t>(kMaxMoveRows)));
  return rows;
}

size_t EventMerger::MoveUpTo(int64_t upto) {
  const auto t0 = Clock::now();
  // Deferred: the transaction writes the workspace database only, and reads a snapshot of the
  // inbox, which the writer goes on appending to meanwhile.
  Txn txn(*db_, /*immediate=*/false);
  const size_t rows = CopyStagedEvents(*db_, "inbox.service_event_inbox", merged(), upto);
  txn.Commit();
  metrics_->merges.fetch_add(1);  // counted before it is published: whoever sees the move sees its count
  merged_.store(upto, std::memory_order_release);
  LOG_INF("serve: moved {} staged events into the events table in {:.2f}s", rows,
          std::chrono::duration<double>(Clock::now() - t0).count());
  return rows;
}

void EventMerger::Loop() {
  // Below the writer and the HTTP threads: on few cores a move yields to the requests.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kNice) != 0)
    LOG_WRN("serve: could not lower the merger thread's priority: {}", std::strerror(errno));
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(100),
                 [&] { return stopping_ || staged_ - merged() >= static_cast<int64_t>(kMergeRows); });
    if (stopping_) break;
    const int64_t pending = staged_ - merged();
    if (pending <= 0) continue;
    if (pending < static_cast<int64_t>(kMergeRows) && Clock::now() - last_staged_ < kIdle) continue;
    const int64_t upto = std::min(staged_, merged() + static_cast<int64_t>(kMaxMoveRows));
    lock.unlock();
    bool failed = false;
    try {
      std::lock_guard move(move_mu_);
      if (upto > merged()) MoveUpTo(upto);
    } catch (const std::exception& e) {
      LOG_ERR("serve: moving staged events into the events table: {} (retried in a second)", e.what());
      failed = true;
    }
    lock.lock();
    if (failed) cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
  }
}

}  // namespace kgp::service
