// The writer's batch path: one transaction per group of requests (events staged in the inbox),
// the per-event profile update, publication to LiveProfiles, and the deletion from the inbox of
// the rows the merger has moved into the events table (event_writer.h).
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "service/event_writer.h"

namespace kgp::service {
namespace {

}  // namespace

void EventWriter::WriteGroup(std::vector<Op*>& group) {
  if (group.empty()) return;
  const auto t0 = Clock::now();
  std::vector<BatchResult> results(group.size());
  std::vector<ProfileEvent> fresh;
  std::vector<std::pair<uint32_t, std::string>> new_ids;
  Status status;
  std::vector<std::pair<int64_t, int64_t>> staged;  // (seq, key) added by this group (undone on failure)
  std::vector<uint32_t> new_variants;  // ids new_variant_tags_ gained in this group (undone on failure)
  int64_t dropped = 0;
  try {
    // Created outside the group's transaction: it reads the id maps, and a transaction that has
    // read the workspace database cannot later take its write lock once the merger has committed.
    if (!store_) store_ = std::make_unique<StoreWriter>(ws_->db(), file_id_, pseudonym_key_);
    if (!stmts_) {
      stmts_ = std::make_unique<Statements>();
      stmts_->has_event = lookup_->Prepare("SELECT 1 FROM events WHERE key = ?");
      stmts_->insert_inbox = ws_->db().Prepare(
          "INSERT INTO inbox.service_event_inbox(seq, key, user_id, item_id, type, ts, value, price, session, file_id, "
          "variant) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    }
    // Deferred: the inbox's write lock at the first row; the workspace database's only if a new
    // user or product is created (waiting for a move in progress).
    Txn txn(ws_->db(), /*immediate=*/false);
    dropped = DropMoved(kDropRows);
    // One read snapshot for the group's repeat checks (not a lock round-trip each), taken after
    // DropMoved() read merged(): every move up to there is in it.
    Txn lookups(*lookup_, /*immediate=*/false);
    Stmt& has = stmts_->has_event;
    Stmt& ins = stmts_->insert_inbox;
    int64_t seq = last_seq_;
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
        rec.variant = in.variant;
        const StoreWriter::EventRow row = store_->PrepareEvent(rec);
        const auto variant = static_cast<uint32_t>(row.variant);
        if (variant && !items_.HasVariant(variant) && !new_variant_tags_.count(variant)) {
          new_variant_tags_.emplace(variant, items_.VariantTagsOf(static_cast<uint32_t>(row.item), in.variant));
          new_variants.push_back(variant);
        }
        // The inbox first: a row the merger has moved leaves the set only after it is in events.
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
        ins.Bind(1, ++seq).Bind(2, row.key).Bind(3, row.user).Bind(4, row.item).Bind(5, row.type).Bind(6, row.ts);
        if (std::isnan(row.value)) ins.BindNull(7); else ins.Bind(7, row.value);
        if (std::isnan(row.price)) ins.BindNull(8); else ins.Bind(8, row.price);
        if (row.session) ins.Bind(9, row.session); else ins.BindNull(9);
        ins.Bind(10, file_id_);
        if (row.variant) ins.Bind(11, row.variant); else ins.BindNull(11);
        ins.Run();
        inbox_keys_.insert(row.key);
        staged.emplace_back(seq, row.key);
        ++results[i].accepted;
        const auto user = static_cast<uint32_t>(row.user);
        if (user >= set_.ext_ids.size() || set_.ext_ids[user].empty()) new_ids.emplace_back(user, store_->StoredUserId(in.user));
        fresh.push_back(ProfileEvent{in.ts, user, static_cast<uint32_t>(row.item),
                                     in.price ? static_cast<float>(*in.price) : -1.0f,
                                     in.value ? static_cast<float>(*in.value) : NAN, in.type, variant});
      }
    }
    // No store_->Flush(): PrepareEvent left no pending rows, and the prices the events carried
    // reach the items table from the staged rows when they are moved (event_merger.h).
    txn.Commit();
    lookups.Commit();
  } catch (const std::exception& e) {
    // Rolled back: nothing of the group is stored, nothing applied; the writer's id maps may
    // name rows that no longer exist, so it is rebuilt.
    store_.reset();
    stmts_.reset();
    for (const auto& [seq, key] : staged) inbox_keys_.erase(key);
    for (uint32_t v : new_variants) new_variant_tags_.erase(v);  // their ids may be given again
    staged.clear();
    dropped = 0;
    status = Status::Internal(fmt::format("storing events: {}", e.what()));
    LOG_ERR("serve: {}", status.message());
  }
  if (status.ok()) {
    DroppedUpTo(dropped);
    if (!staged.empty()) {
      inbox_rows_.insert(inbox_rows_.end(), staged.begin(), staged.end());
      last_seq_ = staged.back().first;
      merger_->Staged(last_seq_);
    }
    metrics_->batch_commit.Observe(std::chrono::duration<double>(Clock::now() - t0).count());
    metrics_->batches.fetch_add(1);
    for (auto& [u, id] : new_ids) {
      if (set_.ext_ids.size() <= u) set_.ext_ids.resize(static_cast<size_t>(u) + 1);
      set_.ext_ids[u] = std::move(id);
    }
    std::vector<uint32_t> touched;
    touched.reserve(fresh.size());
    for (const ProfileEvent& e : fresh) {
      auto known = new_variant_tags_.find(e.variant);
      ApplyIncremental(items_, e, &set_,
                       known != new_variant_tags_.end() ? std::span<const NodeId>(known->second) : items_.VariantTags(e.variant));
      touched.push_back(e.user);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    Publish(touched, fresh);
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
}

int64_t EventWriter::DropMoved(size_t limit) {
  const int64_t moved = merger_->merged();
  int64_t upto = 0;
  size_t n = 0;
  for (const auto& [seq, key] : inbox_rows_) {
    if (seq > moved || (limit && n == limit)) break;
    upto = seq, ++n;
  }
  if (upto == 0) return 0;
  Stmt drop = ws_->db().Prepare("DELETE FROM inbox.service_event_inbox WHERE seq <= ?");
  drop.Bind(1, upto).Run();
  return upto;
}

void EventWriter::DroppedUpTo(int64_t seq) {
  while (!inbox_rows_.empty() && inbox_rows_.front().first <= seq) {
    inbox_keys_.erase(inbox_rows_.front().second);
    inbox_rows_.pop_front();
  }
}

bool EventWriter::HasMovedRows() const { return !inbox_rows_.empty() && inbox_rows_.front().first <= merger_->merged(); }

void EventWriter::DropMovedNow(size_t limit) {
  Txn txn(ws_->db(), /*immediate=*/false);
  const int64_t upto = DropMoved(limit);
  txn.Commit();
  DroppedUpTo(upto);
}

void EventWriter::MoveAllStaged() {
  merger_->MergeAll();
  DropMovedNow(0);
}

void EventWriter::Publish(const std::vector<uint32_t>& users, std::span<const ProfileEvent> posted) {
  std::vector<LiveProfiles::Update> updates;
  updates.reserve(users.size());
  for (uint32_t u : users) {
    if (u >= set_.states.size() || u >= set_.ext_ids.size() || set_.ext_ids[u].empty()) continue;
    if (published_.size() <= u) published_.resize(static_cast<size_t>(u) + 1, false);
    updates.push_back({u, published_[u] ? std::string() : set_.ext_ids[u], std::make_shared<const UserState>(set_.states[u])});
    published_[u] = true;
  }
  live_->Publish(std::move(updates), set_.as_of, posted);
  metrics_->profile_as_of.store(set_.as_of);
}

}  // namespace kgp::service
