// The service's one writer (ARCHITECTURE.md "service/"; the queue pattern of STYLE.md
// "Threading"): HTTP threads validate event batches and Submit() them; one thread owns the
// workspace's store connection, the StoreWriter and the per-user profile states. It takes
// every request waiting, writes their events in one transaction (durable: synchronous=FULL),
// applies the new ones to the profiles with the same per-event update as `profile update`
// (profile/builder.h ApplyIncremental), publishes the changed users to LiveProfiles, and only
// then answers the requests: an acknowledged event is on disk and visible to the next read.
// Repeats are recognised by the store's event key (a repeated request stores and applies
// nothing). Erasure runs on the same thread, between batches, with the StoreWriter closed.
//
// Staging: event keys are hashes, so inserting a few events into the events table dirties one
// page each, and every dirty page is written to the WAL at commit (16 KiB an event). New events
// therefore go to service_event_inbox, an append-only table (rows in arrival order: a commit
// writes a few pages) in a database file of its own (event_merger.h), and the EventMerger moves
// them into events, sorted by key, on its own thread: when EventMerger::kMergeRows are staged or
// the writer has been idle for a second, all of them before an erasure, on Stop() and on the next
// start after a crash. The writer then deletes the moved rows from the inbox, kDropRows per group.
// A key is new when neither the inbox (a set in memory) nor events has it; the events lookup uses
// a connection of its own, outside the group's transaction, which takes the workspace
// database's write lock only when a new user or product must be created. The price an event
// carries becomes its product's catalogue price (as in `ingest`) when the event is moved.
//
// Events of one server run are recorded under one ingest_files row (format "api"); the profile
// state file is saved on Stop() with that row as its watermark, and a start after a crash
// first applies events stored after the state file's watermark, so nothing acknowledged is
// lost from the profiles either.
// Thread-safe (Submit, Erase, Stop from any thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "ingest/record.h"
#include "privacy/erase.h"
#include "profile/builder.h"
#include "service/event_merger.h"
#include "service/live_profiles.h"
#include "service/metrics.h"
#include "store/workspace.h"
#include "store/writer.h"

namespace kgp::service {

// One validated event as received (ids as the client sent them).
struct EventIn {
  std::string user, item, session;
  EventType type = EventType::kView;
  int64_t ts = 0;
  std::optional<double> price, value;
  std::vector<std::pair<std::string, std::string>> variant;  // the size or colour chosen: key, value
};

struct BatchResult {
  Status status;  // not OK: nothing of the batch was stored
  size_t accepted = 0, duplicates = 0;
};

struct EventWriterOptions {
  bool durable = true;  // PRAGMA synchronous=FULL on the writer's connection
};

class EventWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens its own connection to the workspace, loads profiles.state (NotFound when absent: run
  // `kgprofile profile build` first), applies events stored since the state's watermark and
  // publishes every profile. items must outlive the writer.
  static Result<std::unique_ptr<EventWriter>> Start(const std::string& ws_dir, const ItemIndex& items, LiveProfiles* live,
                                                    Metrics* metrics, const EventWriterOptions& opts = {});
  ~EventWriter();  // Stop()

  // received: when the request arrived (lag metric). After Stop(): Aborted.
  std::future<BatchResult> Submit(std::vector<EventIn> events, Clock::time_point received = Clock::now());
  // privacy::EraseUsers between batches (one result per id, in order); the erased users'
  // profiles are dropped from memory too. on_end, when set, is called when the run has ended,
  // just before the future is ready (on the writer thread, or on the caller's when the writer is
  // stopping): it must not wait for anything.
  using Erasures = Result<std::vector<Result<privacy::ErasureReceipt>>>;
  std::future<Erasures> Erase(std::vector<std::string> user_ids, std::function<void()> on_end = {});

  // Drains the queue (every request already submitted is written and answered), saves the
  // profile state and closes the run's ingest_files row. Idempotent.
  void Stop();

  const ProfileOptions& profile_options() const { return set_.opts; }
  // The stored form of a client's user id (privacy::StoredUserId with the workspace's key).
  std::string StoredUserId(std::string_view raw) const;

 private:
  struct Op {
    std::vector<EventIn> events;
    Clock::time_point received;
    std::promise<BatchResult> done;
    std::function<void()> exclusive;  // set: an exclusive task instead of events
  };
  EventWriter(const ItemIndex& items, LiveProfiles* live, Metrics* metrics)
      : items_(items), live_(live), metrics_(metrics) {}
  Status Open(const std::string& ws_dir, const EventWriterOptions& opts);
  void Loop();
  void WriteGroup(std::vector<Op*>& group);
  // Deletes up to `limit` (0: all) rows the merger has moved from the inbox; returns the newest
  // seq deleted (0: none). REQUIRES: a transaction on ws_->db(); DroppedUpTo() after it commits.
  int64_t DropMoved(size_t limit);
  void DroppedUpTo(int64_t seq);
  void DropMovedNow(size_t limit);  // DropMoved in a transaction of its own, then DroppedUpTo
  bool HasMovedRows() const;        // the inbox's oldest row is in events
  // Moves every staged row into events and empties the inbox (erasure, Stop()).
  void MoveAllStaged();
  static constexpr size_t kDropRows = 20000;  // moved rows deleted from the inbox per group
  // posted: the events of this batch (LiveProfiles::FindWithPosted), none at start or after an
  // erasure.
  void Publish(const std::vector<uint32_t>& users, std::span<const ProfileEvent> posted = {});
  // After an erasure run, finished or not (its rows may be gone though a file pass failed): the
  // users held in memory that are no longer in `users` are dropped (DropErasedUsers, which
  // throws Aborted and drops nothing when every id is gone: renamed, not erased).
  void DropGoneUsers();
  void Finish();

  const ItemIndex& items_;
  LiveProfiles* live_;
  Metrics* metrics_;
  std::unique_ptr<Workspace> ws_;  // writer thread only (after Open)
  std::optional<ServeLock> serve_lock_;  // held from Open until destruction
  std::unique_ptr<StoreWriter> store_;
  struct Statements {
    Stmt has_event, insert_inbox;
  };
  std::unique_ptr<Statements> stmts_;       // with store_: closed for erasure
  std::unique_ptr<Db> lookup_;              // the repeat check's connection (no transaction)
  std::unique_ptr<EventMerger> merger_;
  std::unordered_set<int64_t> inbox_keys_;  // keys of the rows in the inbox
  std::deque<std::pair<int64_t, int64_t>> inbox_rows_;  // (seq, key) of the rows in the inbox
  int64_t last_seq_ = 0;                    // of the newest staged row
  std::string pseudonym_key_;
  int64_t file_id_ = 0;
  uint64_t stored_new_ = 0, stored_dup_ = 0;
  ProfileSet set_;
  // Tags of the variants this run created (items_ knows those stored before it started).
  std::unordered_map<uint32_t, std::vector<NodeId>> new_variant_tags_;
  std::vector<bool> published_;  // by users.id: LiveProfiles knows the user's id

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Op>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                  // GUARDED_BY(mu_)
  std::thread thread_;
  std::once_flag stopped_;
};

}  // namespace kgp::service
