// Graph queries as JSON: neighbours of a node and paths between two nodes. One writer each,
// shared by the CLI (`graph neighbors | paths --json`) and the HTTP service (docs/api.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "graph/graph.h"
#include "graph/paths.h"

namespace kgp {

// {"id": "user:1", "type", "key", "label"}
nlohmann::json NodeJson(const Graph& g, NodeId n);

// Edge type ids for names (case-insensitive); InvalidArgument naming an unknown one.
Result<std::vector<EdgeTypeId>> ParseEdgeTypes(const Graph& g, const std::vector<std::string>& names);

struct NeighborQuery {
  std::vector<EdgeTypeId> types;  // empty: all
  std::string direction = "both";  // out | in | both
  size_t limit = 20;
  std::function<bool(NodeId)> hidden;  // neighbours left out (and not counted); empty: none
};
// The node's neighbours that pass the query, strongest edge first, at most q.limit; *total
// gets the count before the limit.
std::vector<Adjacent> SelectNeighbors(const Graph& g, NodeId n, const NeighborQuery& q, size_t* total);

// {"node", "total", "neighbors": [{id, type, key, label, edge, direction, count, weight, last_time?}]}
nlohmann::json NeighborsJson(const Graph& g, NodeId n, const std::vector<Adjacent>& adj, size_t total);

// {"from", "to", "paths": [{"length", "text", "steps": [{"edge", "forward", "node"}]}]}
nlohmann::json PathsJson(const Graph& g, NodeId from, NodeId to, const std::vector<Path>& paths);

}  // namespace kgp
