#include "graph/paths.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include <fmt/format.h>

namespace kgp {
namespace {

bool Allowed(const PathOptions& o, EdgeTypeId t) {
  return o.edge_types.empty() || std::find(o.edge_types.begin(), o.edge_types.end(), t) != o.edge_types.end();
}

bool Via(const PathOptions& o, NodeType t) {
  return o.via_types.empty() || std::find(o.via_types.begin(), o.via_types.end(), t) != o.via_types.end();
}

double StepWeight(const Graph& g, uint32_t edge) { return std::log1p(std::max(0.f, g.edge(edge).weight)); }

// A path of the length being enumerated, with its place in the (deterministic) enumeration
// order, which breaks ties in weight.
struct Candidate {
  double weight;
  uint64_t seq;
  std::vector<PathStep> steps;
};
bool Better(const Candidate& a, const Candidate& b) { return a.weight != b.weight ? a.weight > b.weight : a.seq < b.seq; }

}  // namespace

std::vector<Path> KShortestPaths(const Graph& g, NodeId src, NodeId dst, const PathOptions& opts,
                                 PathSearchStats* stats) {
  PathSearchStats local;
  PathSearchStats& st = stats ? *stats : local;
  st = PathSearchStats{};
  std::vector<Path> out;
  const size_t k = std::min(opts.k, kMaxPathsK);
  if (src >= g.num_nodes() || dst >= g.num_nodes() || k == 0) return out;
  if (src == dst) {
    out.push_back(Path{src, {}, 0});
    return out;
  }
  // Distances to dst (reverse BFS; edges are undirected here), bounded by max_length. Hubs are
  // not expanded, except dst itself and src. Every edge of a path the search below can find is
  // scanned here from an expanded node, so max_step bounds the weight any step adds.
  constexpr int kInf = std::numeric_limits<int>::max();
  std::vector<int> dist(g.num_nodes(), kInf);
  std::deque<NodeId> queue{dst};
  dist[dst] = 0;
  double max_step = 0;
  while (!queue.empty()) {
    NodeId n = queue.front();
    queue.pop_front();
    if (dist[n] >= opts.max_length) continue;
    if (n != dst && n != src && (g.Degree(n) > opts.max_degree || !Via(opts, g.type(n)))) continue;
    for (const auto& a : g.Neighbors(n)) {
      if (!Allowed(opts, a.type)) continue;
      max_step = std::max(max_step, StepWeight(g, a.edge));
      if (dist[a.other] != kInf || (opts.hidden && opts.hidden(a.other))) continue;
      dist[a.other] = dist[n] + 1;
      queue.push_back(a.other);
    }
  }
  if (dist[src] == kInf) return out;

  // For L = d, d+1, …, max_length: enumerate every simple path of exactly L edges (a node at
  // remaining budget r is entered only if dist ≤ r), keeping the best `need` in a heap whose
  // front is the worst kept, so the answer does not depend on k beyond its length and memory
  // stays at k paths. A branch that cannot beat the worst kept, even with every remaining step
  // as heavy as the heaviest edge around, is cut. Each adjacency examined is one step of the
  // budget, so the work is bounded whatever the degrees.
  std::vector<PathStep> stack;
  std::vector<char> on_path(g.num_nodes(), 0);
  std::vector<Candidate> heap;  // std heap ordered by Better: front() is the worst kept
  size_t need = 0;
  uint64_t seq = 0;
  auto offer = [&](double w) {
    const uint64_t s = seq++;
    if (heap.size() < need) {
      heap.push_back(Candidate{w, s, stack});
      std::push_heap(heap.begin(), heap.end(), Better);
    } else if (Better(Candidate{w, s, {}}, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), Better);
      heap.back().weight = w;
      heap.back().seq = s;
      heap.back().steps = stack;
      std::push_heap(heap.begin(), heap.end(), Better);
    }
  };
  auto dfs = [&](auto&& self, NodeId n, int remaining, double w) -> void {
    if (n == dst) {
      if (remaining == 0) offer(w);
      return;
    }
    if (remaining == 0) return;
    if (n != src && (g.Degree(n) > opts.max_degree || !Via(opts, g.type(n)))) return;
    if (heap.size() >= need && w + remaining * max_step + 1e-9 < heap.front().weight) return;
    for (const auto& a : g.Neighbors(n)) {
      if (++st.expansions > opts.max_expansions) {
        st.complete = false;
        return;
      }
      if (!Allowed(opts, a.type) || on_path[a.other] || dist[a.other] > remaining - 1) continue;
      on_path[a.other] = 1;
      stack.push_back(PathStep{a.other, a.edge, a.outgoing});
      self(self, a.other, remaining - 1, w + StepWeight(g, a.edge));
      stack.pop_back();
      on_path[a.other] = 0;
      if (!st.complete) return;
    }
  };
  on_path[src] = 1;
  for (int len = dist[src]; len <= opts.max_length && out.size() < k && st.complete; ++len) {
    heap.clear();
    need = k - out.size();
    dfs(dfs, src, len, 0.0);
    std::sort_heap(heap.begin(), heap.end(), Better);  // best first
    for (auto& c : heap) out.push_back(Path{src, std::move(c.steps), c.weight});
  }
  return out;
}

std::string FormatPath(const Graph& g, const Path& p, bool hide_other_users) {
  std::string s = g.Spec(p.start);
  for (const auto& st : p.steps) {
    std::string_view t = g.EdgeTypeName(g.edge(st.edge).type);
    s += st.forward ? fmt::format(" -{}-> ", t) : fmt::format(" <-{}- ", t);
    const bool other_user = hide_other_users && g.type(st.node) == NodeType::kUser && st.node != p.start;
    s += other_user ? std::string(NodeTypePrefix(NodeType::kUser)) + ":*" : g.Spec(st.node);
  }
  return s;
}

}  // namespace kgp
