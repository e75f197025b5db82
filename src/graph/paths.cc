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

}  // namespace

std::vector<Path> KShortestPaths(const Graph& g, NodeId src, NodeId dst, const PathOptions& opts) {
  std::vector<Path> out;
  if (src >= g.num_nodes() || dst >= g.num_nodes() || opts.k == 0) return out;
  if (src == dst) {
    out.push_back(Path{src, {}, 0});
    return out;
  }
  // Distances to dst (reverse BFS; edges are undirected here), bounded by max_length. Hubs are
  // not expanded, except dst itself and src.
  constexpr int kInf = std::numeric_limits<int>::max();
  std::vector<int> dist(g.num_nodes(), kInf);
  std::deque<NodeId> queue{dst};
  dist[dst] = 0;
  while (!queue.empty()) {
    NodeId n = queue.front();
    queue.pop_front();
    if (dist[n] >= opts.max_length) continue;
    if (n != dst && n != src && (g.Degree(n) > opts.max_degree || !Via(opts, g.type(n)))) continue;
    for (const auto& a : g.Neighbors(n)) {
      if (!Allowed(opts, a.type) || dist[a.other] != kInf || (opts.hidden && opts.hidden(a.other))) continue;
      dist[a.other] = dist[n] + 1;
      queue.push_back(a.other);
    }
  }
  if (dist[src] == kInf) return out;

  // Enumerate simple paths of exactly length L for L = d, d+1, …, max_length, pruning with
  // dist: a node at remaining budget r is entered only if dist ≤ r.
  uint64_t expansions = 0;
  std::vector<PathStep> stack;
  std::vector<char> on_path(g.num_nodes(), 0);
  std::vector<Path> found;
  auto dfs = [&](auto&& self, NodeId n, int remaining, double w) -> void {
    if (found.size() / 4 >= opts.k || ++expansions > opts.max_expansions) return;  // k * 4 could wrap
    if (n == dst) {
      if (remaining == 0) found.push_back(Path{src, stack, w});
      return;
    }
    if (remaining == 0) return;
    if (n != src && (g.Degree(n) > opts.max_degree || !Via(opts, g.type(n)))) return;
    for (const auto& a : g.Neighbors(n)) {
      if (!Allowed(opts, a.type) || on_path[a.other] || dist[a.other] > remaining - 1) continue;
      on_path[a.other] = 1;
      stack.push_back(PathStep{a.other, a.edge, a.outgoing});
      self(self, a.other, remaining - 1, w + std::log1p(std::max(0.f, g.edge(a.edge).weight)));
      stack.pop_back();
      on_path[a.other] = 0;
    }
  };
  on_path[src] = 1;
  for (int len = dist[src]; len <= opts.max_length && out.size() < opts.k; ++len) {
    found.clear();
    dfs(dfs, src, len, 0.0);
    std::stable_sort(found.begin(), found.end(), [](const Path& a, const Path& b) { return a.weight > b.weight; });
    for (auto& p : found) {
      if (out.size() >= opts.k) break;
      out.push_back(std::move(p));
    }
    if (expansions > opts.max_expansions) break;
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
