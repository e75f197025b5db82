#include "recommend/covisit.h"

#include <algorithm>
#include <cmath>

#include "graph/schema.h"

namespace kgp::rec {

CoVisitIndex CoVisitIndex::Build(const History& h, const CoVisitOptions& opts) {
  struct Pair {
    uint32_t a, b;
    float w;
  };
  std::vector<Pair> pairs;
  for (uint32_t u = 0; u < h.num_users(); ++u) {
    auto ev = h.Of(u);
    for (size_t i = 0; i < ev.size(); ++i) {
      const float wi = static_cast<float>(InteractionWeight(ev[i].type, std::nullopt));
      if (wi <= 0) continue;
      for (size_t j = i + 1; j < ev.size() && j <= i + opts.max_span; ++j) {
        if (ev[j].ts - ev[i].ts > opts.window_s) break;
        if (ev[j].item == ev[i].item) continue;
        const float wj = static_cast<float>(InteractionWeight(ev[j].type, std::nullopt));
        if (wj <= 0) continue;
        const float w = std::sqrt(wi * wj);
        pairs.push_back({ev[i].item, ev[j].item, w});
        pairs.push_back({ev[j].item, ev[i].item, w});
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  CoVisitIndex idx;
  const size_t n = h.num_items();
  idx.offsets_.assign(n + 1, 0);
  size_t next = 0;  // first item whose row start is not yet written
  std::vector<Neighbor> row;
  for (size_t i = 0; i < pairs.size();) {
    const uint32_t a = pairs[i].a;
    row.clear();
    while (i < pairs.size() && pairs[i].a == a) {
      Neighbor nb{pairs[i].b, 0};
      while (i < pairs.size() && pairs[i].a == a && pairs[i].b == nb.item) nb.score += pairs[i++].w;
      row.push_back(nb);
    }
    const size_t keep = std::min(row.size(), opts.neighbors);
    std::partial_sort(row.begin(), row.begin() + static_cast<ptrdiff_t>(keep), row.end(),
                      [](const Neighbor& x, const Neighbor& y) { return x.score != y.score ? x.score > y.score : x.item < y.item; });
    for (; next <= a; ++next) idx.offsets_[next] = idx.nbrs_.size();
    idx.nbrs_.insert(idx.nbrs_.end(), row.begin(), row.begin() + static_cast<ptrdiff_t>(keep));
  }
  for (; next <= n; ++next) idx.offsets_[next] = idx.nbrs_.size();
  return idx;
}

}  // namespace kgp::rec
