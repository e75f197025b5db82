#include "profile/builder.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "common/progress.h"

namespace kgp {

std::vector<ProfileEvent> LoadEvents(Db& db, const EventFilter& f) {
  std::string sql = "SELECT user_id, item_id, type, ts, price, value, variant FROM events WHERE 1";
  if (f.until) sql += " AND ts <= ?1";
  if (f.after) sql += " AND ts > ?2";
  if (f.after_file) sql += " AND file_id > ?3";
  // Batch builds group and order by user themselves; runs applied one by one need time order.
  if (f.after || f.after_file) sql += " ORDER BY ts";
  Stmt st = db.Prepare(sql);
  if (f.until) st.Bind(1, *f.until);
  if (f.after) st.Bind(2, *f.after);
  if (f.after_file) st.Bind(3, *f.after_file);
  std::vector<ProfileEvent> out;
  out.reserve(static_cast<size_t>(db.QueryInt("SELECT count(*) FROM events")));
  Progress progress("profile: loading events", out.capacity(), "events");
  while (st.Step()) {
    ProfileEvent e;
    e.user = static_cast<uint32_t>(st.Int(0));
    e.item = static_cast<uint32_t>(st.Int(1));
    e.type = static_cast<EventType>(std::clamp<int64_t>(st.Int(2), 0, kNumEventTypes - 1));
    e.ts = st.Int(3);
    e.price = st.IsNull(4) ? -1.0f : static_cast<float>(st.Double(4));
    e.value = st.IsNull(5) ? NAN : static_cast<float>(st.Double(5));
    const int64_t v = st.IsNull(6) ? 0 : st.Int(6);
    e.variant = v > 0 && v < UINT32_MAX ? static_cast<uint32_t>(v) : 0;
    out.push_back(e);
    progress.Add(1);
  }
  progress.Finish();
  db.ReleaseCache();  // a cache full of event pages: what the caller builds next reuses its memory
  return out;
}

std::vector<std::string> LoadUserIds(Db& db) {
  std::vector<std::string> ids;
  Stmt st = db.Prepare("SELECT id, ext_id FROM users ORDER BY id");
  while (st.Step()) {
    const auto id = static_cast<size_t>(st.Int(0));
    if (id >= UINT32_MAX) continue;
    if (ids.size() <= id) ids.resize(id + 1);
    ids[id] = std::string(st.Text(1));
  }
  return ids;
}

Status SyncUserIds(std::vector<std::string> ids, ProfileSet* set, bool* emptied) {
  size_t conflicts = 0;
  if (emptied) *emptied = false;
  for (size_t u = 0; u < set->ext_ids.size(); ++u) {
    if (set->ext_ids[u].empty() || (u < ids.size() && ids[u] == set->ext_ids[u])) continue;
    if (u < ids.size() && !ids[u].empty()) {
      ++conflicts;
    } else if (u < set->states.size() && set->states[u].events > 0) {  // no longer stored
      set->states[u] = UserState{};
      if (emptied) *emptied = true;
    }
  }
  if (conflicts > 0)
    return Status::InvalidArgument(fmt::format(
        "the profile state names other users than the store for {} ids (a key rotation cut short?): run kgprofile "
        "profile build",
        conflicts));
  set->ext_ids = std::move(ids);
  return Status::Ok();
}

void RecomputeAfterErasure(Db& db, int64_t upto_file, ProfileSet* set) {
  // Maxima taken here from one pass over the priced events (a GROUP BY sorted them all first),
  // into a copy: a failed read leaves the set as it was.
  std::vector<float> seen(set->seen_prices.size(), 0.0f);
  Stmt st = db.Prepare("SELECT item_id, price FROM events WHERE price > 0 AND (file_id IS NULL OR file_id <= ?1)");
  st.Bind(1, upto_file);
  while (st.Step())
    if (const int64_t item = st.Int(0); item >= 0 && item < UINT32_MAX)
      RaiseSeenPrice(seen, static_cast<uint32_t>(item), static_cast<float>(st.Double(1)));
  set->seen_prices.swap(seen);
  set->as_of = 0;
  for (const UserState& s : set->states)
    if (s.events > 0) set->as_of = std::max(set->as_of, s.last_ts);
}

std::vector<std::pair<uint32_t, std::string>> DropErasedUsers(Db& db, ProfileSet* set, std::optional<int64_t> upto_file) {
  std::unordered_set<std::string> stored;
  for (Stmt q = db.Prepare("SELECT ext_id FROM users"); q.Step();) stored.emplace(q.Text(0));
  size_t named = 0, gone = 0;
  for (const std::string& id : set->ext_ids)
    if (!id.empty()) ++named, gone += !stored.count(id);
  // Every id gone while the store has users: the ids were renamed (privacy keygen/rotate), not
  // erased; dropping them all emptied every profile.
  if (gone > 0 && gone == named && !stored.empty())
    throw Error(Status::Aborted(fmt::format(
        "none of the {} users read from the store is in it any more, though it holds {}: their ids changed meanwhile "
        "(privacy keygen or rotate); run this again",
        named, stored.size())));
  std::vector<std::pair<uint32_t, std::string>> emptied;
  for (size_t u = 0; u < set->ext_ids.size(); ++u)
    if (!set->ext_ids[u].empty() && !stored.count(set->ext_ids[u])) {
      emptied.emplace_back(static_cast<uint32_t>(u), std::move(set->ext_ids[u]));
      set->ext_ids[u].clear();
      if (u < set->states.size()) set->states[u] = UserState{};
    }
  if (!emptied.empty()) RecomputeAfterErasure(db, upto_file.value_or(set->applied_file_id), set);
  return emptied;
}

void BatchBuild(const ItemIndex& items, std::vector<ProfileEvent> events, int threads, ProfileSet* set) {
  uint32_t max_user = 0;
  for (const auto& e : events) max_user = std::max(max_user, e.user);
  const size_t nusers = std::max<size_t>(set->states.size(), static_cast<size_t>(max_user) + 1);
  set->states.resize(nusers);
  const PriceHistory prices(items, events, &set->seen_prices);
  // Counting sort by user, then by time within each user (usually sorted already).
  std::vector<uint64_t> start(nusers + 1, 0);
  for (const auto& e : events) start[e.user + 1]++;
  for (size_t u = 0; u < nusers; ++u) start[u + 1] += start[u];
  std::vector<ProfileEvent, HugePageAllocator<ProfileEvent>> by_user(events.size());
  {
    std::vector<uint64_t> next(start.begin(), start.end() - 1);
    for (const auto& e : events) by_user[next[e.user]++] = e;
  }
  events.clear();
  events.shrink_to_fit();
  for (const auto& e : by_user) set->as_of = std::max(set->as_of, e.ts);

  const auto work = [&](size_t lo, size_t hi) {
    for (size_t u = lo; u < hi; ++u) {
      auto b = by_user.begin() + static_cast<ptrdiff_t>(start[u]), en = by_user.begin() + static_cast<ptrdiff_t>(start[u + 1]);
      if (b == en) continue;
      if (!std::is_sorted(b, en, [](const ProfileEvent& x, const ProfileEvent& y) { return x.ts < y.ts; }))
        std::stable_sort(b, en, [](const ProfileEvent& x, const ProfileEvent& y) { return x.ts < y.ts; });
      UserState& s = set->states[u];
      if (s.tags.empty()) s.tags.reserve(std::min<size_t>(64, static_cast<size_t>(en - b) * 4));
      for (auto it = b; it != en; ++it)
        ApplyEvent(items, set->opts, *it, prices.Reference(it->item, it->ts), s, items.VariantTags(it->variant));
    }
  };
  threads = std::max(1, threads);
  if (threads == 1 || nusers < 1024) {
    work(0, nusers);
    return;
  }
  // Split users so that each thread gets about the same number of events.
  std::vector<std::thread> pool;
  size_t lo = 0;
  for (int t = 0; t < threads; ++t) {
    const uint64_t target = by_user.size() * static_cast<uint64_t>(t + 1) / static_cast<uint64_t>(threads);
    size_t hi = t + 1 == threads ? nusers
                                 : static_cast<size_t>(std::lower_bound(start.begin(), start.end(), target) - start.begin());
    hi = std::clamp(hi, lo, nusers);
    pool.emplace_back(work, lo, hi);
    lo = hi;
  }
  for (auto& th : pool) th.join();
}

void RaiseSecond(std::span<const ProfileEvent> events, size_t i, ProfileSet* set) {
  if (i > 0 && events[i - 1].ts == events[i].ts) return;
  for (size_t j = i; j < events.size() && events[j].ts == events[i].ts; ++j)
    RaiseSeenPrice(set->seen_prices, events[j].item, events[j].price);
}

void ApplyIncrementalRun(const ItemIndex& items, std::span<const ProfileEvent> events, ProfileSet* set) {
  uint32_t max_user = 0;
  for (const auto& e : events) max_user = std::max(max_user, e.user);
  if (max_user >= set->states.size()) set->states.resize(static_cast<size_t>(max_user) + 1);
  // Two stages: the state (counters, the event's hour, the tags vector's pointer) 8 events
  // ahead, then the first levels of the tags' binary search 4 events ahead, once that pointer
  // is in cache.
  constexpr size_t kFar = 8, kNear = 4;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i + kFar < events.size()) PrefetchState(set->states[events[i + kFar].user], events[i + kFar]);
    if (i + kNear < events.size()) {
      const std::vector<TagStat>& t = set->states[events[i + kNear].user].tags;
      if (const size_t n = t.size(); n > 0)
        for (size_t at : {n / 2, n / 4, 3 * n / 4}) __builtin_prefetch(t.data() + at);
    }
    RaiseSecond(events, i, set);
    ApplyIncremental(items, events[i], set);
  }
}

std::vector<Profile> Snapshot(const ItemIndex& items, const ProfileSet& set, int threads) {
  std::vector<uint32_t> users;
  for (size_t u = 0; u < set.states.size(); ++u)
    if (set.states[u].events > 0) users.push_back(static_cast<uint32_t>(u));
  std::vector<Profile> out(users.size());
  const auto work = [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      const uint32_t u = users[i];
      Profile& p = out[i];
      p = Finalize(items, set.opts, set.states[u], set.as_of);
      p.user = u;
      if (u < set.ext_ids.size()) p.ext_id = set.ext_ids[u];
      if (!p.ext_id.empty()) FillFromGraph(items.graph(), set.opts, p);
    }
  };
  threads = std::max(1, threads);
  if (threads == 1 || users.size() < 4096) {
    work(0, users.size());
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(work, users.size() * static_cast<size_t>(t) / static_cast<size_t>(threads),
                        users.size() * static_cast<size_t>(t + 1) / static_cast<size_t>(threads));
    for (auto& th : pool) th.join();
  }
  ScoreRfm(out);
  return out;
}

}  // namespace kgp
