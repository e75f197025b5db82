// The writer's batch path: one transaction per group of requests (events staged in the inbox),
// the per-event profile update, publication to LiveProfiles, and the move of staged events into
// the events table (event_writer.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "common/log.h"
#include "service/event_writer.h"

namespace kgp::service {
namespace {

double SecondsSince(EventWriter::Clock::time_point t) {
  return std::chrono::duration<double>(EventWriter::Clock::now() - t).count();
}

}  // namespace

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
    // No store_->Flush(): PrepareEvent left no pending rows, and the prices the events carried
    // reach the items table from the staged rows when they are merged (MergeInbox), so the
    // group's transaction writes the inbox's few pages, not a page per priced product.
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
  // The moved keys leave inbox_keys_ (they are in events now, where the repeat check finds
  // them): the set stays as large as the inbox, not as everything staged under steady load.
  // The catalogue price of each product is the last price its events carried, in arrival order,
  // as `ingest` keeps it (store/writer.h Flush).
  std::vector<int64_t> moved;
  std::unordered_map<int64_t, double> prices;
  {
    Stmt rows_st = db.Prepare("SELECT key, item_id, price FROM service_event_inbox WHERE seq <= ?1 ORDER BY seq");
    rows_st.Bind(1, last);
    while (rows_st.Step()) {
      if (limit) moved.push_back(rows_st.Int(0));
      if (!rows_st.IsNull(2) && rows_st.Double(2) >= 0) prices[rows_st.Int(1)] = rows_st.Double(2);
    }
  }
  Stmt price = db.Prepare("UPDATE items SET price = ?2 WHERE id = ?1 AND price IS NOT ?2");
  for (const auto& [item, p] : prices) price.Bind(1, item).Bind(2, p).Run();
  Stmt drop = db.Prepare("DELETE FROM service_event_inbox WHERE seq <= ?1");
  drop.Bind(1, last).Run();
  txn.Commit();
  staged_rows_ = rows >= staged_rows_ ? 0 : staged_rows_ - rows;
  if (staged_rows_ == 0) {
    inbox_keys_.clear();
  } else {
    for (int64_t k : moved) inbox_keys_.erase(k);
  }
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

}  // namespace kgp::service
