// Moves the service's staged events into the events table on its own thread and database
// connection (event_writer.h "Staging"), so that the writer's group commits never wait for a move.
//
// The staged rows live in a database file of their own (kInboxFile, attached as "inbox"): SQLite
// locks each database file separately, so the writer appends to the inbox while a move holds the
// workspace database's write lock. Rows are numbered by the writer (seq, 1, 2, …, in arrival
// order); a move takes every row after merged() up to the newest staged one and leaves them in
// the inbox, where the writer deletes them (it owns the inbox's writes). A row in both places after
// a crash is harmless: moves insert with OR IGNORE.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "service/metrics.h"
#include "store/db.h"
#include "store/workspace.h"

namespace kgp::service {

constexpr const char* kInboxFile = "service_inbox.db";  // in the workspace directory

// Attaches the inbox file to db as schema "inbox" (created with its table when missing).
// synchronous: "FULL" or "NORMAL", the inbox's durability (the writer's, as in serve --no-fsync).
Status AttachInbox(Db& db, const std::string& inbox_path, const char* synchronous);

// Copies the inbox rows with after < seq <= upto into the events table of db (key order, repeats
// ignored; rows of users no longer in `users`, erased since, left out) and sets each product's price to the last price those rows carried (arrival order, as
// `ingest` keeps it). REQUIRES: a transaction on db; table names "inbox.service_event_inbox" or,
// for a workspace staged by an older version, "main.service_event_inbox". Returns rows read.
size_t CopyStagedEvents(Db& db, const std::string& table, int64_t after, int64_t upto);

// Inboxes staged before events carried a variant lack its column: adds it (NULL) to
// <schema>.service_event_inbox when missing. AttachInbox() does this for "inbox".
Status AddInboxVariant(Db& db, const std::string& schema);

// Moves every row a server acknowledged but did not move (it did not stop cleanly) into the
// events table, in one transaction, and empties the inbox; rows an older version staged in the
// workspace database itself too. REQUIRES: the inbox attached (AttachInbox); no server writing
// it. Returns the rows moved. The ingest_files rows of such runs (format api, still 'running')
// are closed as 'interrupted', counting the events stored under them.
Result<size_t> MoveLeftoverStaged(Db& db);

// For a command that reads events while no server runs (profile build and update, graph
// build): the leftover rows of a server that did not stop cleanly, moved as its next start would
// (above), so that no acknowledged event is missing from what the command builds. Nothing when a
// server holds the workspace (it moves its own) or there is no inbox. Returns the rows moved.
Result<size_t> RecoverStagedEvents(Workspace& ws);

class EventMerger {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMergeRows = 300000;   // staged rows that start a move under load
  static constexpr size_t kMaxMoveRows = 1000000;  // rows a transaction moves at most
  static constexpr auto kIdle = std::chrono::seconds(1);  // no new rows for this long: move all
  static constexpr int64_t kCacheKb = 65536;              // the merger connection's page cache
  static constexpr int kNice = 10;                        // the merger thread's niceness

  // Opens its own connection to db_path with inbox_path attached, starts its thread. Rows up to
  // `merged` are already in events. durable: moves are on disk at commit (synchronous=FULL).
  static Result<std::unique_ptr<EventMerger>> Start(const std::string& db_path, const std::string& inbox_path,
                                                    int64_t merged, bool durable, Metrics* metrics);
  ~EventMerger();  // a move in progress completes; staged rows stay for the next start

  // The writer: rows up to seq are committed in the inbox.
  void Staged(int64_t seq);
  // Rows up to this seq are in events (and may leave the inbox).
  int64_t merged() const { return merged_.load(std::memory_order_acquire); }
  // Moves every staged row now, on the calling thread (after a move in progress). Returns rows
  // moved. Throws kgp::Error when the store fails.
  size_t MergeAll();

 private:
  EventMerger(Metrics* metrics, int64_t merged) : metrics_(metrics), merged_(merged), staged_(merged) {}
  void Loop();
  size_t MoveUpTo(int64_t upto);  // REQUIRES: move_mu_ held

  Metrics* metrics_;
  std::unique_ptr<Db> db_;  // used under move_mu_
  std::mutex move_mu_;
  std::atomic<int64_t> merged_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t staged_;                      // GUARDED_BY(mu_)
  Clock::time_point last_staged_ = Clock::now();  // GUARDED_BY(mu_)
  bool stopping_ = false;               // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace kgp::service
