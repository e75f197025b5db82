// Per-user profile state and the per-event update that both the batch build and the
// incremental updater run (one code path, so batch(A+B) == batch(A) then incremental(B)).
// Every field is a running sum, counter or extreme: one event costs O(tags of its item).
// See docs/profile.md for the meaning of every derived figure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/schema.h"
#include "profile/item_index.h"

namespace kgp {

struct ProfileOptions {
  double half_life_days = 30;    // interest weights halve every half_life_days
  int64_t session_gap_s = 1800;  // a gap longer than this starts a new session
  double new_days = 30;          // first event within this many days of as-of: "new"
  double dormant_days = 14;      // no event for this long: "dormant"
  double churn_days = 45;        // no event for this long: "churned"
  double return_gap_days = 21;   // a pause this long followed by activity: "returning" …
  double return_window_days = 40;  // … when the comeback is this recent
  int min_tags = 5;              // completeness: share of users with at least this many tags
  uint32_t max_interests = 50;   // interests kept per kind in a finalized profile
};

// One behaviour event as the profile stage sees it. user and item are store ids
// (users.id, items.id). price < 0: unknown. value: rating, NaN when absent.
struct ProfileEvent {
  int64_t ts;
  uint32_t user, item;
  float price, value;
  EventType type;
  uint32_t variant = 0;  // events.variant (ItemIndex::VariantTags); 0: none
};

// 16 bytes: a heavy user has hundreds of tags and a million users must fit in memory.
struct TagStat {
  NodeId tag;
  uint32_t count;    // events that touched the tag
  float w;           // Σ weight · 2^((ts − anchor) / half-life), see UserCounters::anchor
  int32_t last_rel;  // latest event time − anchor, seconds
};

struct Repurchase {  // per leaf category the user bought in
  NodeId category;
  uint32_t purchases;
  int64_t first_ts, last_ts;
};

// The fixed-size part (trivially copyable: saved as bytes in the state file).
struct UserCounters {
  // Touched by every event: kept together in the first cache lines.
  // Decayed weights are stored relative to anchor (the user's first event time), so one
  // exp2 per event serves every tag; weight as of T is w · 2^((anchor − T) / half-life).
  int64_t anchor = 0;
  double total_w = 0;               // same scale, over all events
  int64_t first_ts = INT64_MAX, last_ts = INT64_MIN;
  uint32_t events = 0;
  uint32_t type_count[kNumEventTypes] = {};
  // Sessions (gap-based); the current one is open.
  int64_t session_start = 0;
  uint32_t sessions = 0, session_events = 0;
  double session_seconds_done = 0;  // closed sessions only
  uint64_t session_events_done = 0;
  double session_gap_sum = 0;       // Σ pauses between sessions, seconds
  int64_t returned_ts = INT64_MIN;  // first event after the latest long pause (a comeback)
  uint32_t novel_events = 0;        // first touch of a leaf category
  uint32_t repeat_purchases = 0;    // purchase of an item bought before
  // Price position in the category's bands, 0 (cheapest) … 1 (dearest), weighted by
  // behaviour weight; separately for purchases and views.
  double pos_wsum = 0, pos_w = 0, buy_pos_sum = 0, view_pos_sum = 0;
  uint32_t buy_pos_n = 0, view_pos_n = 0;
  uint32_t buys_priced = 0, buys_discounted = 0, views_priced = 0, views_discounted = 0;
  double monetary = 0;
  int64_t last_purchase_ts = INT64_MIN;
  uint16_t hour_of_week[168] = {};  // UTC, 0 = Sunday 00h (saturating)
};

struct UserState : UserCounters {
  std::vector<TagStat> tags;        // sorted by tag
  std::vector<Repurchase> repurchase;
  std::vector<uint32_t> bought;     // item ids, sorted

  const TagStat* FindTag(NodeId t) const;
};

// 0 = Sunday 00h UTC … 167.
inline int HourOfWeek(int64_t ts) {
  const int64_t day = ts >= 0 ? ts / 86400 : (ts - 86399) / 86400;
  const int64_t dow = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  const int64_t hour = ((ts - day * 86400) / 3600) % 24;
  return static_cast<int>(dow * 24 + hour);
}

// Asks the CPU to fetch the parts of s that ApplyEvent(e) will touch (the counters, the hour
// of week of e, the vectors' headers): for runs of events over many users.
inline void PrefetchState(const UserState& s, const ProfileEvent& e) {
  const char* p = reinterpret_cast<const char*>(&s);
  for (size_t off : {size_t{0}, size_t{64}, size_t{128}, offsetof(UserCounters, hour_of_week) - 1})
    __builtin_prefetch(p + off, 1);
  __builtin_prefetch(&s.hour_of_week[HourOfWeek(e.ts)], 1);
  __builtin_prefetch(&s.tags);
  __builtin_prefetch(reinterpret_cast<const char*>(&s.bought) + sizeof s.bought - 1);
}

// Applies one event. REQUIRES: items.Has(e.item) or the item is simply untagged.
// ref_price: the item's undiscounted reference as of e (profile/ref_price.h; <= 0: unknown).
// variant_tags: the tags of e.variant (items.VariantTags(e.variant), or for a variant the index
// does not know, the service's new ones, ItemIndex::VariantTagsOf).
void ApplyEvent(const ItemIndex& items, const ProfileOptions& opts, const ProfileEvent& e, float ref_price, UserState& s,
                std::span<const NodeId> variant_tags);

// Rescales a decayed sum stored at s.anchor to "as of T".
double DecayedAt(const UserState& s, double stored, int64_t as_of, double half_life_days);

}  // namespace kgp
