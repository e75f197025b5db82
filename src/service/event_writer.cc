#include "service/event_writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "privacy/pseudonym.h"
#include "profile/pipeline.h"

namespace kgp::service {
namespace {

// How long a DELETE waits for the workspace's commit lock (held by an export, a kge train's save,
// a profile update's commit): the event writes queue behind it meanwhile.
constexpr double kEraseLockWaitS = 3;

}  // namespace

Result<std::unique_ptr<EventWriter>> EventWriter::Start(const std::string& ws_dir, const ItemIndex& items, LiveProfiles* live,
                                                        Metrics* metrics, const EventWriterOptions& opts) {
  std::unique_ptr<EventWriter> w(new EventWriter(items, live, metrics));
  KGP_RETURN_IF_ERROR(w->Open(ws_dir, opts));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

EventWriter::~EventWriter() { Stop(); }

Status EventWriter::Open(const std::string& ws_dir, const EventWriterOptions& opts) {
  auto ws = Workspace::Open(ws_dir);
  if (!ws.ok()) return ws.status();
  ws_ = std::move(ws).value();
  // One server per workspace, and no erasure or key rotation behind its back (workspace.h).
  auto lock = ServeLock::Acquire(*ws_);
  if (!lock.ok()) return lock.status();
  serve_lock_.emplace(std::move(lock).value());
  auto key = ws_->PseudonymKey();
  if (!key.ok()) return key.status();
  pseudonym_key_ = *key;
  if (!pseudonym_key_.empty()) ws_->RecordPseudonymised();  // the users it creates are pseudonyms
  if (opts.durable) KGP_RETURN_IF_ERROR(ws_->db().Exec("PRAGMA synchronous=FULL"));
  auto loaded = LoadProfileSet(ws_->Path(kProfileStateFile));
  if (!loaded.ok())
    return Status::NotFound(fmt::format("{}: no profile state ({}); run: kgprofile profile build {}", ws_dir,
                                        loaded.status().message(), ws_dir));
  set_ = std::move(loaded).value();
  MatchGraph(items_.graph(), &set_);
  DescribeNodes(items_.graph(), &set_);  // the graph may have nodes the saved set did not know
  const std::string inbox = ws_->Path(kInboxFile);
  KGP_RETURN_IF_ERROR(AttachInbox(ws_->db(), inbox, opts.durable ? "FULL" : "NORMAL"));
  // Events a previous run acknowledged but did not move (it did not stop cleanly), and those a
  // version that staged them in the workspace database itself left there.
  auto moved = MoveLeftoverStaged(ws_->db());
  if (!moved.ok()) return moved.status();
  if (*moved) LOG_INF("serve: moved {} events staged by the previous run into the events table", *moved);
  auto lookup = Db::Open(ws_->db().path(), /*create=*/false);
  if (!lookup.ok()) return lookup.status();
  lookup_ = std::move(lookup).value();
  auto merger = EventMerger::Start(ws_->db().path(), inbox, /*merged=*/0, opts.durable, metrics_);
  if (!merger.ok()) return merger.status();
  merger_ = std::move(merger).value();
  // Events stored after the state was saved (a run that ended without Stop(), or `ingest`
  // since): applied in time order, as `profile update` would. Read in one write transaction with
  // this run's ingest_files row (under which its events are recorded): an ingest that commits
  // while the server starts is then either among them or after that row. (Read first and the
  // row inserted after, an ingest committing in between got a lower id than the row, which
  // becomes the watermark when the server stops: its events never reached the profiles.)
  std::vector<ProfileEvent> late;
  std::vector<std::string> ids;
  {
    Txn txn(ws_->db());
    EventFilter f;
    f.after_file = set_.applied_file_id;
    late = LoadEvents(ws_->db(), f);
    ids = LoadUserIds(ws_->db());
    Stmt st = ws_->db().Prepare(
        "INSERT INTO ingest_files(path, format, fingerprint, size, started, status) VALUES(?, 'api', ?, 0, ?, 'running')");
    const int64_t now = UnixNow();
    st.Bind(1, "http:/v1/events").Bind(2, fmt::format("serve:{}:{}", now, privacy::NewKeyHex().substr(0, 8))).Bind(3, now).Run();
    file_id_ = ws_->db().LastInsertRowid();
    txn.Commit();
  }
  bool emptied = false;
  if (Status s = SyncUserIds(std::move(ids), &set_, &emptied); !s.ok())
    return Status::InvalidArgument(fmt::format("{}: {}", ws_->Path(kProfileStateFile), s.message()));
  if (emptied) RecomputeAfterErasure(ws_->db(), set_.applied_file_id, &set_);
  ApplyIncrementalRun(items_, late, &set_);
  if (!late.empty()) LOG_INF("serve: applied {} events stored after the profile state", late.size());
  std::vector<uint32_t> all;
  for (size_t u = 0; u < set_.states.size(); ++u)
    if (set_.states[u].events > 0) all.push_back(static_cast<uint32_t>(u));
  Publish(all);
  return Status::Ok();
}

std::string EventWriter::StoredUserId(std::string_view raw) const {
  return pseudonym_key_.empty() ? std::string(raw) : PseudonymOf(pseudonym_key_, raw);
}

std::future<BatchResult> EventWriter::Submit(std::vector<EventIn> events, Clock::time_point received) {
  auto op = std::make_unique<Op>();
  op->events = std::move(events);
  op->received = received;
  auto fut = op->done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      op->done.set_value(BatchResult{Status::Aborted("the server is shutting down"), 0, 0});
      return fut;
    }
    queue_.push_back(std::move(op));
    metrics_->queue_depth.fetch_add(1);
  }
  cv_.notify_one();
  return fut;
}

std::future<EventWriter::Erasures> EventWriter::Erase(std::vector<std::string> user_ids, std::function<void()> on_end) {
  auto promise = std::make_shared<std::promise<Erasures>>();
  auto fut = promise->get_future();
  auto op = std::make_unique<Op>();
  op->received = Clock::now();
  op->exclusive = [this, promise, on_end, user_ids = std::move(user_ids)] {
    // Every staged event into the events table, where erasure finds it. The store writer's
    // statements and id maps would outlive the rows: closed, and reopened (maps reloaded) by the
    // next batch.
    Erasures r = Status::Internal("not run");
    try {
      MoveAllStaged();
      store_.reset();
      stmts_.reset();
      privacy::EraseOptions eo;
      // Event writes wait behind this thread: a commit lock held by a long export is a 503 with
      // Retry-After, not a stalled server.
      eo.lock_wait_s = kEraseLockWaitS;
      r = privacy::EraseUsers(*ws_, user_ids, eo);
    } catch (const Error& e) {
      r = e.status();
    } catch (const std::exception& e) {
      r = Status::IoError(fmt::format("erasure: {}", e.what()));
    }
    // EraseUsers blanked the users in the state file, which otherwise stays as this run found
    // it, with its watermark: a crash now is recovered by replaying this run's events on it.
    // (Saving ours here, this run's events included, under that watermark made the replay
    // count them twice.) Finish() saves ours, without the users.
    try {
      DropGoneUsers();
    } catch (const std::exception& e) {
      LOG_ERR("serve: after an erasure, dropping the erased users from memory: {}", e.what());
    }
    if (on_end) on_end();
    promise->set_value(std::move(r));
  };
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      if (on_end) on_end();
      promise->set_value(Status::Aborted("the server is shutting down"));
      return fut;
    }
    queue_.push_back(std::move(op));
    metrics_->queue_depth.fetch_add(1);
  }
  cv_.notify_one();
  return fut;
}

void EventWriter::DropGoneUsers() {
  // Every event this server applied is in `events` now (file_id_): the profiles left no longer
  // count the erased users' in their as-of and the items' highest prices.
  const auto gone = DropErasedUsers(ws_->db(), &set_, file_id_);
  if (gone.empty()) return;
  for (const auto& [u, id] : gone) {
    live_->Erase(u, id);
    if (u < published_.size()) published_[u] = false;
  }
  Publish({});
}

void EventWriter::Loop() {
  bool dropping = false;
  for (;;) {
    std::deque<std::unique_ptr<Op>> ops;
    {
      std::unique_lock lock(mu_);
      // Idle: a good time to delete moved rows from the inbox, kDropRows at a time (a request
      // arriving meanwhile waits for one chunk at most), chunk after chunk while idleness lasts.
      const auto idle = dropping ? std::chrono::milliseconds(1) : std::chrono::milliseconds(200);
      const bool woken = cv_.wait_for(lock, idle, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      if (!woken) {
        lock.unlock();
        dropping = false;
        if (HasMovedRows()) {
          try {
            DropMovedNow(kDropRows);
            dropping = HasMovedRows();
          } catch (const std::exception& e) {
            LOG_ERR("serve: deleting moved events from the inbox: {}", e.what());
          }
        }
        continue;
      }
      dropping = false;
      ops.swap(queue_);
    }
    metrics_->queue_depth.fetch_sub(static_cast<int64_t>(ops.size()));
    std::vector<Op*> group;
    for (auto& op : ops) {
      if (!op->exclusive) {
        group.push_back(op.get());
        continue;
      }
      WriteGroup(group);
      try {
        op->exclusive();
      } catch (const std::exception& e) {
        LOG_ERR("serve: exclusive task failed: {}", e.what());
      }
    }
    WriteGroup(group);
  }
  Finish();
}

void EventWriter::Finish() {
  try {
    store_.reset();
    stmts_.reset();
    MoveAllStaged();
    merger_.reset();
    Stmt st = ws_->db().Prepare(
        "UPDATE ingest_files SET finished = ?, records = ?, events_new = ?, events_dup = ?, status = 'done' WHERE id = ?");
    st.Bind(1, UnixNow()).Bind(2, static_cast<int64_t>(stored_new_ + stored_dup_)).Bind(3, static_cast<int64_t>(stored_new_))
        .Bind(4, static_cast<int64_t>(stored_dup_)).Bind(5, file_id_).Run();
    set_.applied_file_id = std::max(set_.applied_file_id, file_id_);
    // A user no longer in the store (erased without this server, e.g. by an older kgprofile) is
    // not written back.
    DropErasedUsers(ws_->db(), &set_);
    Status s = SaveProfileSet(ws_->Path(kProfileStateFile), set_);
    if (!s.ok()) LOG_ERR("serve: saving the profile state: {}", s.message());
  } catch (const std::exception& e) {
    LOG_ERR("serve: closing the writer: {}", e.what());
  }
}

void EventWriter::Stop() {
  std::call_once(stopped_, [this] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  });
}

}  // namespace kgp::service
