#include "graph/interactions.h"

#include <algorithm>

namespace kgp {

void InteractionAggregator::Add(uint32_t user, uint32_t item, EventType type, int64_t ts,
                                std::optional<double> value) {
  auto et = InteractionEdgeType(type);
  if (!et) return;
  raw_.push_back(Raw{user, item, ts, static_cast<float>(InteractionWeight(type, value)), *et});
}

std::vector<Interaction> InteractionAggregator::Finish() {
  std::vector<Interaction> out;
  if (raw_.empty()) return out;
  // Counting sort by user (ids are dense: interned or store row ids), then a small sort of each
  // user's events by (item, type): linear in the events, where one big comparison sort over
  // 10^7 records dominated the build.
  uint32_t max_user = 0;
  for (const Raw& r : raw_) max_user = std::max(max_user, r.user);
  std::vector<uint64_t> start(static_cast<size_t>(max_user) + 2, 0);
  for (const Raw& r : raw_) ++start[r.user + 1];
  for (size_t u = 1; u < start.size(); ++u) start[u] += start[u - 1];
  std::vector<Raw> sorted(raw_.size());
  {
    std::vector<uint64_t> fill(start.begin(), start.end() - 1);
    for (const Raw& r : raw_) sorted[fill[r.user]++] = r;
  }
  std::vector<Raw>().swap(raw_);
  for (size_t u = 0; u + 1 < start.size(); ++u) {
    auto b = sorted.begin() + static_cast<std::ptrdiff_t>(start[u]);
    auto e = sorted.begin() + static_cast<std::ptrdiff_t>(start[u + 1]);
    if (e - b > 1)
      std::sort(b, e, [](const Raw& x, const Raw& y) { return x.item != y.item ? x.item < y.item : x.type < y.type; });
  }
  for (size_t i = 0; i < sorted.size();) {
    const Raw& r = sorted[i];
    Interaction e{r.user, r.item, r.type, 0, r.ts, r.ts, 0.f};
    size_t j = i;
    for (; j < sorted.size() && sorted[j].user == r.user && sorted[j].item == r.item && sorted[j].type == r.type; ++j) {
      ++e.count;
      e.first_ts = std::min(e.first_ts, sorted[j].ts);
      e.last_ts = std::max(e.last_ts, sorted[j].ts);
      e.weight += sorted[j].weight;
    }
    out.push_back(e);
    i = j;
  }
  return out;
}

}  // namespace kgp
