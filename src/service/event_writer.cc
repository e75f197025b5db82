#include "service/event_writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/log.h"
#include "privacy/pseudonym.h"
#include "profile/pipeline.h"

namespace kgp::service {
namespace {

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double SecondsSince(EventWriter::Clock::time_point t) {
  return std::chrono::duration<double>(EventWriter::Clock::now() - t).count();
}

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
  auto key = ws_->PseudonymKey();
  if (!key.ok()) return key.status();
  pseudonym_key_ = *key;
  if (opts.durable) KGP_RETURN_IF_ERROR(ws_->db().Exec("PRAGMA synchronous=FULL"));
  auto loaded = LoadProfileSet(ws_->Path(kProfileStateFile));
  if (!loaded.ok())
    return Status::NotFound(fmt::format("{}: no profile state ({}); run: kgprofile profile build {}", ws_dir,
                                        loaded.status().message(), ws_dir));
  set_ = std::move(loaded).value();
  KGP_RETURN_IF_ERROR(ws_->db().Exec(
      "CREATE TABLE IF NOT EXISTS service_event_inbox(seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
      "user_id INTEGER NOT NULL, item_id INTEGER NOT NULL, type INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
      "price REAL, session INTEGER, file_id INTEGER)"));
  // Events a previous run acknowledged but did not merge (it did not stop cleanly).
  try {
    staged_rows_ = static_cast<size_t>(ws_->db().QueryInt("SELECT count(*) FROM service_event_inbox"));
    MergeInbox(0);
  } catch (const std::exception& e) {
    return Status::IoError(fmt::format("{}: merging staged events: {}", ws_dir, e.what()));
  }
  // Events stored after the state was saved (a run that ended without Stop(), or `ingest`
  // since): applied in time order, as `profile update` would.
  EventFilter f;
  f.after_file = set_.applied_file_id;
  std::vector<ProfileEvent> late = LoadEvents(ws_->db(), nullptr, f);
  std::vector<std::string> ids = LoadUserIds(ws_->db());
  if (ids.size() > set_.ext_ids.size()) set_.ext_ids = std::move(ids);
  for (const ProfileEvent& e : late) ApplyIncremental(items_, e, &set_);
  if (!late.empty()) LOG_INF("serve: applied {} events stored after the profile state", late.size());
  // This run's events are recorded under one ingest_files row.
  Stmt st = ws_->db().Prepare(
      "INSERT INTO ingest_files(path, format, fingerprint, size, started, status) VALUES(?, 'api', ?, 0, ?, 'running')");
  const int64_t now = UnixNow();
  st.Bind(1, "http:/v1/events").Bind(2, fmt::format("serve:{}:{}", now, privacy::NewKeyHex().substr(0, 8))).Bind(3, now).Run();
  file_id_ = ws_->db().LastInsertRowid();
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

std::future<Result<privacy::ErasureReceipt>> EventWriter::Erase(std::string user_id) {
  auto promise = std::make_shared<std::promise<Result<privacy::ErasureReceipt>>>();
  auto fut = promise->get_future();
  auto op = std::make_unique<Op>();
  op->received = Clock::now();
  op->exclusive = [this, promise, user_id] {
    // The store writer's statements and id maps would outlive the rows: closed, and reopened
    // (maps reloaded) by the next batch.
    MergeInbox(0);
    store_.reset();
    stmts_.reset();
    privacy::EraseOptions eo;
    auto r = privacy::EraseUser(*ws_, user_id, eo);
    if (r.ok()) {
      for (const std::string& stored : {StoredUserId(user_id), user_id}) {
        for (size_t u = 0; u < set_.ext_ids.size(); ++u) {
          if (set_.ext_ids[u] != stored) continue;
          if (u < set_.states.size()) set_.states[u] = UserState{};
          if (u < published_.size()) published_[u] = false;
          set_.ext_ids[u].clear();
        }
        live_->Erase(stored);
      }
      // The state file held the user too; EraseUser rewrote it, and ours must not bring it back.
      Status s = SaveProfileSet(ws_->Path(kProfileStateFile), set_);
      if (!s.ok()) LOG_WRN("serve: saving the profile state after erasure: {}", s.message());
    }
    promise->set_value(std::move(r));
  };
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      promise->set_value(Status::Aborted("the server is shutting down"));
      return fut;
    }
    queue_.push_back(std::move(op));
    metrics_->queue_depth.fetch_add(1);
  }
  cv_.notify_one();
  return fut;
}

void EventWriter::Loop() {
  bool merging = false;
  for (;;) {
    std::deque<std::unique_ptr<Op>> ops;
    {
      std::unique_lock lock(mu_);
      // Idle for a second: a good time to move staged events into the events table, a chunk at a
      // time (a request arriving meanwhile waits for one chunk at most), chunk after chunk while
      // the idleness lasts.
      const auto idle = merging ? std::chrono::milliseconds(1) : std::chrono::milliseconds(1000);
      const bool woken = cv_.wait_for(lock, idle, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      if (!woken) {
        lock.unlock();
        merging = false;
        if (staged_rows_ > 0) {
          try {
            MergeInbox(kMergeChunk);
            merging = staged_rows_ > 0;
          } catch (const std::exception& e) {
            LOG_ERR("serve: merging staged events: {}", e.what());
          }
        }
        continue;
      }
      merging = false;
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

void EventWriter::WriteGroup(std::vector<Op*>& group) {
  if (group.empty()) return;
  const auto t0 = Clock::now();
  std::vector<BatchResult> results(group.size());
  std::vector<ProfileEvent> fresh;
  std::vector<std::pair<uint32_t, std::string>> new_ids;
  Status status;
  std::vector<int64_t> staged;  // keys added to inbox_keys_ by this group (undone on failure)
  try {
    Txn txn(ws_->db());
    if (!store_) store_ = std::make_unique<StoreWriter>(ws_->db(), file_id_, pseudonym_key_);
    if (!stmts_) {
      stmts_ = std::make_unique<Statements>();
      stmts_->has_event = ws_->db().Prepare("SELECT 1 FROM events WHERE key = ?");
      stmts_->insert_inbox = ws_->db().Prepare(
          "INSERT INTO service_event_inbox(key, user_id, item_id, type, ts, value, price, session, file_id) "
          "VALUES(?,?,?,?,?,?,?,?,?)");
    }
    Stmt& has = stmts_->has_event;
    Stmt& ins = stmts_->insert_inbox;
    for (size_t i = 0; i < group.size(); ++i) {
      store_->StartUnit();  // identical events within a request are distinct; across requests, repeats
      for (const EventIn& in : group[i]->events) {
        EventRecord rec;
        rec.user = in.user;
        rec.item = in.item;
        rec.type = in.type;
        rec.ts = in.ts;
        rec.price = in.price;
        rec.value = in.value;
        rec.session = in.session;
        const StoreWriter::EventRow row = store_->PrepareEvent(rec);
        bool repeat = inbox_keys_.count(row.key) > 0;
        if (!repeat) {
          has.Bind(1, row.key);
          repeat = has.Step();
          has.Reset();
        }
        if (repeat) {
          ++results[i].duplicates;
          continue;
        }
        ins.Bind(1, row.key).Bind(2, row.user).Bind(3, row.item).Bind(4, row.type).Bind(5, row.ts);
        if (std::isnan(row.value)) ins.BindNull(6); else ins.Bind(6, row.value);
        if (std::isnan(row.price)) ins.BindNull(7); else ins.Bind(7, row.price);
        if (row.session) ins.Bind(8, row.session); else ins.BindNull(8);
        ins.Bind(9, file_id_).Run();
        inbox_keys_.insert(row.key);
        staged.push_back(row.key);
        ++staged_rows_;
        ++results[i].accepted;
        const auto user = static_cast<uint32_t>(row.user);
        if (user >= set_.ext_ids.size() || set_.ext_ids[user].empty()) new_ids.emplace_back(user, store_->StoredUserId(in.user));
        fresh.push_back(ProfileEvent{in.ts, user, static_cast<uint32_t>(row.item),
                                     in.price ? static_cast<float>(*in.price) : -1.0f,
                                     in.value ? static_cast<float>(*in.value) : NAN, in.type});
      }
    }
    store_->Flush();
    txn.Commit();
  } catch (const std::exception& e) {
    // Rolled back: nothing of the group is stored, nothing applied; the writer's id maps may
    // name rows that no longer exist, so it is rebuilt.
    store_.reset();
    stmts_.reset();
    for (int64_t k : staged) inbox_keys_.erase(k);
    staged_rows_ -= staged.size();
    status = Status::Internal(fmt::format("storing events: {}", e.what()));
    LOG_ERR("serve: {}", status.message());
  }
  if (status.ok()) {
    metrics_->batch_commit.Observe(std::chrono::duration<double>(Clock::now() - t0).count());
    metrics_->batches.fetch_add(1);
    for (auto& [u, id] : new_ids) {
      if (set_.ext_ids.size() <= u) set_.ext_ids.resize(static_cast<size_t>(u) + 1);
      set_.ext_ids[u] = std::move(id);
    }
    std::vector<uint32_t> touched;
    touched.reserve(fresh.size());
    for (const ProfileEvent& e : fresh) {
      ApplyIncremental(items_, e, &set_);
      touched.push_back(e.user);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    Publish(touched);
  }
  for (size_t i = 0; i < group.size(); ++i) {
    BatchResult r = status.ok() ? results[i] : BatchResult{status, 0, 0};
    stored_new_ += r.accepted, stored_dup_ += r.duplicates;
    metrics_->events_accepted.fetch_add(r.accepted);
    metrics_->events_duplicate.fetch_add(r.duplicates);
    metrics_->update_lag.Observe(SecondsSince(group[i]->received));
    group[i]->done.set_value(std::move(r));
  }
  group.clear();
  if (staged_rows_ >= kMergeRows) {
    try {
      MergeInbox(kMergeChunk);
    } catch (const std::exception& e) {
      LOG_ERR("serve: merging staged events: {}", e.what());
    }
  }
}

size_t EventWriter::MergeInbox(size_t limit) {
  if (staged_rows_ == 0) return 0;
  const auto t0 = Clock::now();
  Db& db = ws_->db();
  Txn txn(db);
  // The oldest `limit` rows (all when 0), moved in key order: each events page is written once.
  Stmt upto = db.Prepare(limit ? "SELECT coalesce(max(seq), 0), count(*) FROM "
                                 "(SELECT seq FROM service_event_inbox ORDER BY seq LIMIT ?1)"
                               : "SELECT coalesce(max(seq), 0), count(*) FROM service_event_inbox");
  if (limit) upto.Bind(1, static_cast<int64_t>(limit));
  upto.Step();
  const int64_t last = upto.Int(0);
  const auto rows = static_cast<size_t>(upto.Int(1));
  upto.Reset();
  Stmt move = db.Prepare(
      "INSERT OR IGNORE INTO events(key, user_id, item_id, type, ts, value, price, session, file_id) "
      "SELECT key, user_id, item_id, type, ts, value, price, session, file_id FROM service_event_inbox "
      "WHERE seq <= ?1 ORDER BY key");
  move.Bind(1, last).Run();
  Stmt drop = db.Prepare("DELETE FROM service_event_inbox WHERE seq <= ?1");
  drop.Bind(1, last).Run();
  txn.Commit();
  staged_rows_ = rows >= staged_rows_ ? 0 : staged_rows_ - rows;
  // inbox_keys_ holds every key staged since the inbox was last empty (a superset of what it
  // holds now: moved keys are in events, so the repeat check stays right).
  if (staged_rows_ == 0) inbox_keys_.clear();
  metrics_->merges.fetch_add(1);
  LOG_INF("serve: merged {} staged events into the events table in {:.2f}s ({} still staged)", rows, SecondsSince(t0),
          staged_rows_);
  return rows;
}

void EventWriter::Publish(const std::vector<uint32_t>& users) {
  std::vector<LiveProfiles::Update> updates;
  updates.reserve(users.size());
  for (uint32_t u : users) {
    if (u >= set_.states.size() || u >= set_.ext_ids.size() || set_.ext_ids[u].empty()) continue;
    if (published_.size() <= u) published_.resize(static_cast<size_t>(u) + 1, false);
    updates.push_back({u, published_[u] ? std::string() : set_.ext_ids[u], std::make_shared<const UserState>(set_.states[u])});
    published_[u] = true;
  }
  live_->Publish(std::move(updates), set_.as_of);
  metrics_->profile_as_of.store(set_.as_of);
}

void EventWriter::Finish() {
  try {
    store_.reset();
    stmts_.reset();
    MergeInbox(0);
    Stmt st = ws_->db().Prepare(
        "UPDATE ingest_files SET finished = ?, records = ?, events_new = ?, events_dup = ?, status = 'done' WHERE id = ?");
    st.Bind(1, UnixNow()).Bind(2, static_cast<int64_t>(stored_new_ + stored_dup_)).Bind(3, static_cast<int64_t>(stored_new_))
        .Bind(4, static_cast<int64_t>(stored_dup_)).Bind(5, file_id_).Run();
    set_.applied_file_id = std::max(set_.applied_file_id, file_id_);
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
