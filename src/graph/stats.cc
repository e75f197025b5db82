#include "graph/stats.h"

#include <algorithm>
#include <vector>

namespace kgp {

GraphStats ComputeStats(const Graph& g) {
  GraphStats s;
  s.nodes = g.num_nodes();
  s.edges = g.num_edges();
  std::vector<std::vector<uint64_t>> deg(kNumNodeTypes);
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    deg[static_cast<int>(g.type(n))].push_back(g.Degree(n));
    if (g.Degree(n) == 0) ++s.isolated;
  }
  for (int t = 0; t < kNumNodeTypes; ++t) {
    auto& d = deg[t];
    if (d.empty()) continue;
    std::sort(d.begin(), d.end());
    DegreeSummary ds;
    ds.nodes = d.size();
    ds.min = d.front();
    ds.max = d.back();
    ds.median = d[d.size() / 2];
    ds.p90 = d[std::min(d.size() - 1, d.size() * 90 / 100)];
    ds.p99 = d[std::min(d.size() - 1, d.size() * 99 / 100)];
    uint64_t sum = 0;
    for (auto v : d) sum += v;
    ds.mean = static_cast<double>(sum) / d.size();
    const char* name = NodeTypeName(static_cast<NodeType>(t));
    s.nodes_by_type[name] = d.size();
    s.degree_by_type[name] = ds;
  }
  for (const auto& e : g.edges()) ++s.edges_by_type[std::string(g.EdgeTypeName(e.type))];
  s.memory_bytes = g.MemoryBytes();
  return s;
}

}  // namespace kgp
