#include "profile/state.h"

#include <algorithm>
#include <cmath>

namespace kgp {
namespace {

constexpr double kDay = 86400.0;
// Rebase the decay anchor before 2^x leaves float's comfortable range (60 half-lives).
constexpr double kMaxExponent = 60.0;

void Rebase(UserState& s, int64_t new_anchor, double half_life_s) {
  const double f = std::exp2(static_cast<double>(s.anchor - new_anchor) / half_life_s);
  const int64_t shift = new_anchor - s.anchor;
  for (TagStat& t : s.tags) {
    t.w = static_cast<float>(t.w * f);
    t.last_rel = static_cast<int32_t>(std::max<int64_t>(INT32_MIN, t.last_rel - shift));
  }
  s.total_w *= f;
  s.anchor = new_anchor;
}

// First element with tag >= t in [b, e): branch-free halving (a conditional move per step),
// since the user's tags are searched for every tag of every event.
TagStat* LowerBound(TagStat* b, TagStat* e, NodeId t) {
  size_t n = static_cast<size_t>(e - b);
  if (n == 0) return b;
  while (n > 1) {
    const size_t half = n / 2;
    b = b[half].tag < t ? b + half : b;
    n -= half;
  }
  return b + (b->tag < t);
}

}  // namespace

const TagStat* UserState::FindTag(NodeId t) const {
  auto it = std::lower_bound(tags.begin(), tags.end(), t, [](const TagStat& a, NodeId b) { return a.tag < b; });
  return it != tags.end() && it->tag == t ? &*it : nullptr;
}

double DecayedAt(const UserState& s, double stored, int64_t as_of, double half_life_days) {
  return stored * std::exp2(static_cast<double>(s.anchor - as_of) / (half_life_days * kDay));
}

void ApplyEvent(const ItemIndex& items, const ProfileOptions& opts, const ProfileEvent& e, float ref_price, UserState& s,
                std::span<const NodeId> variant_tags) {
  const double half_life_s = opts.half_life_days * kDay;
  if (s.events == 0) s.anchor = e.ts;
  double exponent = static_cast<double>(e.ts - s.anchor) / half_life_s;
  if (exponent > kMaxExponent) {
    Rebase(s, e.ts, half_life_s);
    exponent = 0;
  }
  const std::optional<double> value = std::isnan(e.value) ? std::nullopt : std::optional<double>(e.value);
  const double w = InteractionWeight(e.type, value);
  const double dw = w * std::exp2(exponent);
  const bool purchase = e.type == EventType::kPurchase;

  // Sessions: a gap longer than session_gap_s closes the open one. Late events (older than
  // the latest) join the open session.
  if (s.events == 0) {
    s.sessions = 1, s.session_start = e.ts, s.session_events = 0;
  } else if (e.ts > s.last_ts && e.ts - s.last_ts > opts.session_gap_s) {
    s.session_seconds_done += static_cast<double>(s.last_ts - s.session_start);
    s.session_events_done += s.session_events;
    // A comeback: a pause of at least return_gap_days that is also long for this user (three
    // times their mean earlier pause), so that rare but regular visitors are not "returning".
    const double pause = static_cast<double>(e.ts - s.last_ts);
    const double mean_pause = s.sessions > 1 ? s.session_gap_sum / (s.sessions - 1) : 0.0;
    if (pause >= opts.return_gap_days * kDay && pause >= 3 * mean_pause) s.returned_ts = e.ts;
    s.session_gap_sum += pause;
    s.sessions++, s.session_start = e.ts, s.session_events = 0;
  }
  s.session_events++;
  s.events++;
  s.type_count[static_cast<int>(e.type)]++;
  s.first_ts = std::min(s.first_ts, e.ts);
  s.last_ts = std::max(s.last_ts, e.ts);
  s.total_w += dw;
  uint16_t& h = s.hour_of_week[HourOfWeek(e.ts)];
  if (h < UINT16_MAX) ++h;

  // Tags: sorted vector, binary search; insertion only for a tag new to this user.
  const NodeId leaf = items.Leaf(e.item);
  const auto rel = static_cast<int32_t>(std::clamp<int64_t>(e.ts - s.anchor, INT32_MIN + 1, INT32_MAX));
  // Item tags are sorted too, so each search starts where the previous one ended. Then the
  // values of the variant the event was about (the size chosen), sorted the same way.
  for (std::span<const NodeId> tags : {items.Tags(e.item), variant_tags}) {
    size_t from = 0;
    for (NodeId t : tags) {
      TagStat* const data = s.tags.data();
      auto it = s.tags.begin() + (LowerBound(data + from, data + s.tags.size(), t) - data);
      if (it == s.tags.end() || it->tag != t) {
        it = s.tags.insert(it, TagStat{t, 0, 0.0f, INT32_MIN});
        if (t == leaf) s.novel_events++;
      }
      it->count++;
      it->w += static_cast<float>(dw);
      it->last_rel = std::max(it->last_rel, rel);
      from = static_cast<size_t>(it - s.tags.begin()) + 1;
    }
  }

  // Price position and discounts.
  const float pos = items.PricePos(e.item);
  if (pos >= 0 && w > 0) {
    s.pos_wsum += w * pos, s.pos_w += w;
    if (purchase) s.buy_pos_sum += pos, s.buy_pos_n++;
    if (e.type == EventType::kView) s.view_pos_sum += pos, s.view_pos_n++;
  }
  if (e.price > 0 && ref_price > 0) {
    const bool discounted = e.price < 0.97f * ref_price;
    if (purchase) s.buys_priced++, s.buys_discounted += discounted;
    if (e.type == EventType::kView) s.views_priced++, s.views_discounted += discounted;
  }

  if (purchase) {
    s.monetary += e.price > 0 ? e.price : std::max(0.0f, ref_price);
    s.last_purchase_ts = std::max(s.last_purchase_ts, e.ts);
    auto b = std::lower_bound(s.bought.begin(), s.bought.end(), e.item);
    if (b != s.bought.end() && *b == e.item) s.repeat_purchases++;
    else s.bought.insert(b, e.item);
    if (leaf != kNoNode) {
      auto r = std::find_if(s.repurchase.begin(), s.repurchase.end(), [&](const Repurchase& x) { return x.category == leaf; });
      if (r == s.repurchase.end()) {
        s.repurchase.push_back(Repurchase{leaf, 1, e.ts, e.ts});
      } else {
        // Mean cycle = (last − first) / (purchases − 1): exact whatever the event order.
        r->first_ts = std::min(r->first_ts, e.ts), r->last_ts = std::max(r->last_ts, e.ts);
        r->purchases++;
      }
    }
  }
}

}  // namespace kgp
