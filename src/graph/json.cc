#include "graph/json.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/time.h"

namespace kgp {

nlohmann::json NodeJson(const Graph& g, NodeId n) {
  return {{"id", g.Spec(n)}, {"type", NodeTypeName(g.type(n))}, {"key", g.key(n)}, {"label", g.label(n)}};
}

Result<std::vector<EdgeTypeId>> ParseEdgeTypes(const Graph& g, const std::vector<std::string>& names) {
  std::vector<EdgeTypeId> out;
  for (const auto& n : names) {
    auto t = g.FindEdgeType(n);
    if (!t) return Status::InvalidArgument(fmt::format("unknown edge type '{}'", n));
    out.push_back(*t);
  }
  return out;
}

std::vector<Adjacent> SelectNeighbors(const Graph& g, NodeId n, const NeighborQuery& q, size_t* total) {
  std::vector<Adjacent> adj;
  for (const auto& x : g.Neighbors(n)) {
    if (!q.types.empty() && std::find(q.types.begin(), q.types.end(), x.type) == q.types.end()) continue;
    if ((q.direction == "out" && !x.outgoing) || (q.direction == "in" && x.outgoing)) continue;
    if (q.hidden && q.hidden(x.other)) continue;
    adj.push_back(x);
  }
  std::stable_sort(adj.begin(), adj.end(),
                   [&](const Adjacent& p, const Adjacent& r) { return g.edge(p.edge).weight > g.edge(r.edge).weight; });
  if (total) *total = adj.size();
  if (adj.size() > q.limit) adj.resize(q.limit);
  return adj;
}

nlohmann::json NeighborsJson(const Graph& g, NodeId n, const std::vector<Adjacent>& adj, size_t total) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& x : adj) {
    const auto& e = g.edge(x.edge);
    auto j = NodeJson(g, x.other);
    j["edge"] = g.EdgeTypeName(e.type);
    j["direction"] = x.outgoing ? "out" : "in";
    j["count"] = e.count;
    j["weight"] = e.weight;
    if (e.last_ts) j["last_time"] = FormatTimestamp(e.last_ts);
    arr.push_back(j);
  }
  return {{"node", NodeJson(g, n)}, {"total", total}, {"neighbors", arr}};
}

nlohmann::json PathsJson(const Graph& g, NodeId from, NodeId to, const std::vector<Path>& paths) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : paths) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& st : p.steps)
      steps.push_back({{"edge", g.EdgeTypeName(g.edge(st.edge).type)}, {"forward", st.forward}, {"node", NodeJson(g, st.node)}});
    arr.push_back({{"length", p.steps.size()}, {"text", FormatPath(g, p)}, {"steps", steps}});
  }
  return {{"from", g.Spec(from)}, {"to", g.Spec(to)}, {"paths", arr}};
}

}  // namespace kgp
