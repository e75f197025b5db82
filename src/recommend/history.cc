#include "recommend/history.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "graph/schema.h"

namespace kgp::rec {

double DecayedWeight(const ProfileEvent& e, int64_t now, double half_life_days) {
  std::optional<double> value;
  if (!std::isnan(e.value)) value = e.value;
  const double w = InteractionWeight(e.type, value);
  const double age_days = std::max<double>(0, static_cast<double>(now - e.ts) / 86400.0);
  return w * std::exp2(-age_days / half_life_days);
}

History History::Build(std::span<const ProfileEvent> events, int64_t until, const ItemIndex& items,
                       const HistoryOptions& opts) {
  History h;
  h.opts_ = opts;
  uint32_t max_user = 0, max_item = static_cast<uint32_t>(items.num_items());
  for (const auto& e : events) {
    if (e.ts > until) continue;
    max_user = std::max(max_user, e.user + 1);
    max_item = std::max(max_item, e.item + 1);
    h.as_of_ = std::max(h.as_of_, e.ts);
  }
  // Counting sort by user, then time order within each user.
  h.offsets_.assign(static_cast<size_t>(max_user) + 1, 0);
  for (const auto& e : events)
    if (e.ts <= until) ++h.offsets_[e.user + 1];
  for (size_t u = 0; u < max_user; ++u) h.offsets_[u + 1] += h.offsets_[u];
  h.events_.resize(h.offsets_.back());
  std::vector<uint64_t> pos(h.offsets_.begin(), h.offsets_.end() - 1);
  for (const auto& e : events)
    if (e.ts <= until) h.events_[pos[e.user]++] = e;
  for (size_t u = 0; u < max_user; ++u) {
    std::stable_sort(h.events_.begin() + static_cast<ptrdiff_t>(h.offsets_[u]),
                     h.events_.begin() + static_cast<ptrdiff_t>(h.offsets_[u + 1]),
                     [](const ProfileEvent& a, const ProfileEvent& b) { return a.ts < b.ts; });
  }

  // Popularity and the interaction matrix.
  h.pop_.assign(max_item, 0.0f);
  std::vector<UserItem> pairs;
  std::unordered_map<uint32_t, size_t> row;
  for (uint32_t u = 0; u < max_user; ++u) {
    row.clear();
    for (const auto& e : h.Of(u)) {
      h.pop_[e.item] += static_cast<float>(DecayedWeight(e, h.as_of_, opts.popularity_half_life_days));
      std::optional<double> value;
      if (!std::isnan(e.value)) value = e.value;
      const float w = static_cast<float>(InteractionWeight(e.type, value));
      if (w <= 0) continue;
      auto [it, fresh] = row.try_emplace(e.item, pairs.size());
      if (fresh) pairs.push_back({u, e.item, w, e.ts});
      else pairs[it->second].value += w, pairs[it->second].ts = e.ts;
    }
  }
  h.matrix_ = InteractionMatrix::FromPairs(std::move(pairs), max_user, max_item);
  h.max_pop_ = h.pop_.empty() ? 0.0f : *std::max_element(h.pop_.begin(), h.pop_.end());
  for (uint32_t i = 0; i < max_item; ++i)
    if (h.pop_[i] > 0) h.popular_.push_back(i);
  std::sort(h.popular_.begin(), h.popular_.end(), [&](uint32_t a, uint32_t b) {
    return h.pop_[a] != h.pop_[b] ? h.pop_[a] > h.pop_[b] : a < b;
  });

  // Repurchase cycles: per leaf category, buyers with ≥ 2 purchase days and the gaps between them.
  struct Acc {
    uint32_t buyers = 0, repeaters = 0;
    uint32_t pairs = 0, pair_repeats = 0;  // buyer–item pairs, those bought on another day too
    std::vector<double> gaps;
  };
  std::unordered_map<NodeId, Acc> acc;
  std::unordered_map<NodeId, int64_t> last;
  std::unordered_map<NodeId, bool> repeated;
  std::unordered_map<uint32_t, std::pair<int64_t, bool>> item_last;  // item -> (first day's ts, rebought)
  for (uint32_t u = 0; u < max_user; ++u) {
    last.clear();
    repeated.clear();
    item_last.clear();
    for (const auto& e : h.Of(u)) {
      if (e.type != EventType::kPurchase) continue;
      const NodeId leaf = items.Leaf(e.item);
      if (leaf == kNoNode) continue;
      auto [pi, first_buy] = item_last.try_emplace(e.item, e.ts, false);
      if (first_buy) {
        ++acc[leaf].pairs;
      } else if (!pi->second.second && e.ts - pi->second.first >= 86400) {
        pi->second.second = true;
        ++acc[leaf].pair_repeats;
      }
      auto [it, fresh] = last.try_emplace(leaf, e.ts);
      if (fresh) {
        ++acc[leaf].buyers;
      } else if (e.ts - it->second >= 86400) {  // another day: a repurchase, not a basket of two
        acc[leaf].gaps.push_back(static_cast<double>(e.ts - it->second) / 86400.0);
        if (!repeated[leaf]) ++acc[leaf].repeaters, repeated[leaf] = true;
        it->second = e.ts;
      }
    }
  }
  for (auto& [leaf, a] : acc) {
    CategoryCycle c;
    c.repeat_share = a.buyers ? static_cast<double>(a.repeaters) / a.buyers : 0;
    if (!a.gaps.empty()) {
      std::nth_element(a.gaps.begin(), a.gaps.begin() + static_cast<ptrdiff_t>(a.gaps.size() / 2), a.gaps.end());
      c.median_days = a.gaps[a.gaps.size() / 2];
    }
    c.item_repeat_share = a.pairs ? static_cast<double>(a.pair_repeats) / a.pairs : 0;
    c.consumable = c.repeat_share >= opts.consumable_share && a.repeaters >= opts.min_repeat_buyers;
    c.restocked = c.consumable && c.item_repeat_share >= opts.item_repeat_share && a.pair_repeats >= opts.min_item_repeats;
    h.cycles_.emplace_back(leaf, c);
  }
  std::sort(h.cycles_.begin(), h.cycles_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return h;
}

const CategoryCycle* History::Cycle(NodeId leaf) const {
  auto it = std::lower_bound(cycles_.begin(), cycles_.end(), leaf,
                             [](const auto& a, NodeId l) { return a.first < l; });
  return it != cycles_.end() && it->first == leaf ? &it->second : nullptr;
}

namespace {
float Lookup(const std::vector<std::pair<NodeId, float>>& v, NodeId n) {
  auto it = std::lower_bound(v.begin(), v.end(), n, [](const auto& a, NodeId x) { return a.first < x; });
  return it != v.end() && it->first == n ? it->second : 0.0f;
}
void Normalise(std::unordered_map<NodeId, double>& m, std::vector<std::pair<NodeId, float>>& out) {
  double total = 0;
  for (const auto& [k, v] : m) total += v;
  for (const auto& [k, v] : m) out.emplace_back(k, total > 0 ? static_cast<float>(v / total) : 0.0f);
  std::sort(out.begin(), out.end());
}
}  // namespace

float UserTaste::Category(NodeId c) const { return Lookup(categories, c); }
float UserTaste::Brand(NodeId b) const { return Lookup(brands, b); }
const UserTaste::Touch* UserTaste::Item(uint32_t item) const {
  auto it = std::lower_bound(items.begin(), items.end(), item, [](const Touch& t, uint32_t i) { return t.item < i; });
  return it != items.end() && it->item == item ? &*it : nullptr;
}

UserTaste TasteOf(const History& h, const ItemIndex& items, uint32_t user) {
  return TasteOf(h.Of(user), h.as_of(), items, h.options().affinity_half_life_days);
}

UserTaste TasteOf(std::span<const ProfileEvent> events, int64_t now, const ItemIndex& items, double half_life_days) {
  UserTaste t;
  std::unordered_map<NodeId, double> cats, brands;
  std::unordered_map<uint32_t, UserTaste::Touch> touched;
  double price_sum = 0, price_w = 0;
  const Graph& g = items.graph();
  for (const auto& e : events) {
    const double w = DecayedWeight(e, now, half_life_days);
    auto [it, fresh] = touched.try_emplace(e.item, UserTaste::Touch{e.item, 0, 0, 0, 0, 0});
    UserTaste::Touch& touch = it->second;
    touch.weight += static_cast<float>(w);
    touch.last_ts = e.ts;
    if (e.type == EventType::kPurchase) touch.last_purchase_ts = std::max(touch.last_purchase_ts, e.ts), ++touch.purchases;
    // A rating or review says the user has the item (a film watched, a product used): it is
    // not offered again unless its category's repurchase cycle says so, as for a purchase. A
    // review written after a purchase does not restart the cycle.
    if (touch.purchases) touch.owned_ts = touch.last_purchase_ts;
    else if (SaysOwned(e.type)) touch.owned_ts = std::max(touch.owned_ts, e.ts);
    if (w <= 0) continue;
    const NodeId leaf = items.Leaf(e.item);
    if (leaf != kNoNode) cats[leaf] += w;
    for (NodeId tag : items.Tags(e.item))
      if (g.type(tag) == NodeType::kBrand) brands[tag] += w;
    if (items.PricePos(e.item) >= 0) price_sum += w * items.PricePos(e.item), price_w += w;
  }
  Normalise(cats, t.categories);
  Normalise(brands, t.brands);
  if (price_w > 0) t.price_position = price_sum / price_w;
  for (const auto& [item, touch] : touched) t.items.push_back(touch);
  std::sort(t.items.begin(), t.items.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
  return t;
}

}  // namespace kgp::rec
