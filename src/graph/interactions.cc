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
  std::sort(raw_.begin(), raw_.end(), [](const Raw& a, const Raw& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.item != b.item) return a.item < b.item;
    return a.type < b.type;
  });
  std::vector<Interaction> out;
  for (size_t i = 0; i < raw_.size();) {
    const Raw& r = raw_[i];
    Interaction e{r.user, r.item, r.type, 0, r.ts, r.ts, 0.f};
    size_t j = i;
    for (; j < raw_.size() && raw_[j].user == r.user && raw_[j].item == r.item && raw_[j].type == r.type; ++j) {
      ++e.count;
      e.first_ts = std::min(e.first_ts, raw_[j].ts);
      e.last_ts = std::max(e.last_ts, raw_[j].ts);
      e.weight += raw_[j].weight;
    }
    out.push_back(e);
    i = j;
  }
  std::vector<Raw>().swap(raw_);
  return out;
}

}  // namespace kgp
