#include "recommend/next_purchase.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace kgp::rec {

const char* NextFeatureName(int f) {
  static const char* names[kNumNextFeatures] = {"affinity", "purchases", "recency", "cycle_due",
                                                "recent_activity", "category_share", "consumable"};
  return f >= 0 && f < kNumNextFeatures ? names[f] : "?";
}

std::vector<NodeId> TopPurchasedLeaves(const Engine& e, size_t n) {
  std::unordered_map<NodeId, double> bought;
  const History& h = e.history();
  for (uint32_t u = 0; u < h.num_users(); ++u)
    for (const auto& ev : h.Of(u))
      if (ev.type == EventType::kPurchase && e.items().Leaf(ev.item) != kNoNode) bought[e.items().Leaf(ev.item)] += 1;
  std::vector<std::pair<NodeId, double>> v(bought.begin(), bought.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  std::vector<NodeId> out;
  for (size_t i = 0; i < v.size() && i < n; ++i) out.push_back(v[i].first);
  return out;
}

std::vector<CategoryPropensity> NextPurchaseCandidates(const Engine& e, uint32_t user,
                                                       const std::vector<NodeId>& popular_leaves,
                                                       std::span<const ProfileEvent> since) {
  const History& h = e.history();
  std::vector<ProfileEvent> buf;
  const auto events = e.EventsOf(user, since, buf);
  const int64_t now = e.NowFor(since);
  const ItemIndex& items = e.items();
  struct Acc {
    double purchases = 0, recent = 0;
    int64_t last_ts = 0, last_purchase = 0;
  };
  std::unordered_map<NodeId, Acc> acc;
  for (NodeId leaf : popular_leaves) acc.try_emplace(leaf);
  for (const auto& ev : events) {
    const NodeId leaf = items.Leaf(ev.item);
    if (leaf == kNoNode) continue;
    Acc& a = acc[leaf];
    a.last_ts = std::max(a.last_ts, ev.ts);
    if (ev.type == EventType::kPurchase) a.purchases += 1, a.last_purchase = std::max(a.last_purchase, ev.ts);
    if (now - ev.ts <= 7 * 86400) a.recent += 1;
  }
  const UserTaste taste = TasteOf(events, now, items, h.options().affinity_half_life_days);
  std::vector<CategoryPropensity> out;
  for (const auto& [leaf, a] : acc) {
    CategoryPropensity c{leaf, 0, {}};
    auto& f = c.features;
    f[kNAffinity] = taste.Category(leaf);
    f[kNPurchases] = static_cast<float>(std::log1p(a.purchases));
    f[kNRecency] = a.last_ts ? static_cast<float>(std::exp(-static_cast<double>(now - a.last_ts) / (14 * 86400.0))) : 0;
    const CategoryCycle* cyc = h.Cycle(leaf);
    f[kNConsumable] = cyc && cyc->consumable ? 1 : 0;
    f[kNCycleDue] = 0;
    if (a.last_purchase && cyc && cyc->median_days > 0) {
      const double ratio = static_cast<double>(now - a.last_purchase) / 86400.0 / cyc->median_days;
      f[kNCycleDue] = static_cast<float>(std::exp(-std::pow(std::log(std::max(ratio, 1e-3)), 2)));  // 1 when exactly due
    }
    f[kNRecentActivity] = static_cast<float>(std::log1p(a.recent));
    f[kNShare] = e.LeafShare(leaf);
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.leaf < b.leaf; });
  return out;
}

std::vector<CategoryPropensity> NextPurchaseModel::Predict(const Engine& e, uint32_t user, size_t k,
                                                           std::span<const ProfileEvent> since) const {
  auto cands = NextPurchaseCandidates(e, user, popular_leaves, since);
  for (auto& c : cands) c.probability = model.fitted() ? model.Predict(c.features) : c.features[kNAffinity];
  std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) {
    return a.probability != b.probability ? a.probability > b.probability : a.leaf < b.leaf;
  });
  if (cands.size() > k) cands.resize(k);
  return cands;
}

}  // namespace kgp::rec
