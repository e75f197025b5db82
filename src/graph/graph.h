// In-memory knowledge graph: typed nodes and typed, weighted, timed edges in CSR form, loaded
// from the store's graph tables (written by `graph build`, see builder.h). Every edge is
// reachable from both ends: adjacency lists hold outgoing and incoming edges, sorted by
// (edge type, neighbour), so typed lookups are a binary search.
// Immutable after Load(): safe to share between threads for reading.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "graph/schema.h"
#include "store/db.h"

namespace kgp {

struct EdgeData {
  NodeId src, dst;
  EdgeTypeId type;
  uint32_t count;
  int64_t first_ts, last_ts;
  float weight;
};

struct Adjacent {
  EdgeTypeId type;
  bool outgoing;   // true: this node is the edge's source
  NodeId other;
  uint32_t edge;   // index into edges()
};

// Which edges Graph::Load reads. By default all of them. With users set: every edge whose
// source is not a user (catalogue, categories, brands, co-purchases, text) and the edges of
// those users alone (stored ids), every node still: what one user's profile or text needs. On
// a generated shop of 200,000 users and 20 M events that is 229 k of 9.6 M edges. Edges out
// of other users are missing, so neighbours and paths through them are not to be asked for.
struct GraphLoadOptions {
  std::optional<std::vector<std::string>> users;
};

class Graph {
 public:
  static Result<Graph> Load(Db& db, const GraphLoadOptions& opts = {});
  Graph() = default;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;
  Graph(const Graph&) = delete;  // index_ points into text_
  Graph& operator=(const Graph&) = delete;

  size_t num_nodes() const { return types_.size(); }
  size_t num_edges() const { return edges_.size(); }
  // Loaded with GraphLoadOptions::users: other users' edges are missing.
  bool partial() const { return partial_; }
  NodeType type(NodeId n) const { return types_[n]; }
  std::string_view key(NodeId n) const;
  std::string_view label(NodeId n) const;
  // Store id of the node (graph_nodes.id).
  int64_t store_id(NodeId n) const { return store_ids_[n]; }

  std::optional<NodeId> Find(NodeType t, std::string_view key) const;
  // "user:123", "product:abc", "category:electronics.smartphone"; a bare key is looked up
  // among users, products, categories, brands in that order.
  std::optional<NodeId> FindSpec(std::string_view spec) const;
  std::string Spec(NodeId n) const;  // inverse of FindSpec

  std::span<const Adjacent> Neighbors(NodeId n) const {
    return {adj_.data() + offsets_[n], adj_.data() + offsets_[n + 1]};
  }
  size_t Degree(NodeId n) const { return offsets_[n + 1] - offsets_[n]; }
  const EdgeData& edge(uint32_t i) const { return edges_[i]; }
  const std::vector<EdgeData>& edges() const { return edges_; }

  std::string_view EdgeTypeName(EdgeTypeId t) const;
  // The exact name, else the first that differs only in case (built-in types first).
  std::optional<EdgeTypeId> FindEdgeType(std::string_view name) const;
  const std::vector<std::pair<EdgeTypeId, std::string>>& edge_types() const { return edge_types_; }

  size_t MemoryBytes() const;

 private:
  std::vector<NodeType> types_;
  std::vector<int64_t> store_ids_;
  std::vector<uint64_t> key_off_, label_off_;  // into text_, size num_nodes + 1
  std::vector<char> text_;  // a vector: moving it keeps the bytes where index_ points
  std::vector<std::unordered_map<std::string_view, NodeId>> index_;  // per node type
  std::vector<EdgeData> edges_;
  bool partial_ = false;
  std::vector<uint64_t> offsets_;
  std::vector<Adjacent> adj_;
  std::vector<std::pair<EdgeTypeId, std::string>> edge_types_;
};

// Attribute variants. An item with several values of one key ("size=7 oz", "size=10 oz": the
// sizes a product comes in, e.g. Amazon's per-review style) has a variant dimension: an event
// on the item does not say which value the user chose, so such a value says nothing about the
// user's taste. Profiles (interests) and explanations use only single-valued attributes.
// The attributes among attrs (one item's) whose key has no other value among them, in order.
std::vector<NodeId> SingleValuedAttributes(const Graph& g, std::span<const NodeId> attrs);
// Whether attr is one of several values of its key on item (item's HAS_ATTRIBUTE edges).
bool IsVariantAttribute(const Graph& g, NodeId item, NodeId attr);

}  // namespace kgp
