// Path search on the in-memory graph, for explanations ("you bought X, made by the same brand
// as Y"): bounded, typed, k shortest simple paths between two nodes, treating edges as
// traversable in both directions. Thread-safe (reads the immutable Graph only).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "graph/graph.h"

namespace kgp {

struct PathStep {
  NodeId node;       // node reached by this step
  uint32_t edge;     // edge used
  bool forward;      // true: traversed from edge source to destination
};

struct Path {
  NodeId start;
  std::vector<PathStep> steps;
  double weight = 0;  // sum of log(1 + edge weight): ties broken towards stronger evidence
};

struct PathOptions {
  size_t k = 3;                 // paths wanted
  int max_length = 4;           // edges
  std::vector<EdgeTypeId> edge_types;  // allowed types; empty = all
  std::vector<NodeType> via_types;     // types allowed in the middle of a path; empty = all
  size_t max_degree = 50000;    // nodes with more neighbours are not passed through (hubs)
  uint64_t max_expansions = 2000000;  // search budget: adjacencies examined
  std::function<bool(NodeId)> hidden;  // nodes no path passes through; empty: none
};

// The most paths one search returns: a larger k is taken as this many (memory stays bounded).
inline constexpr size_t kMaxPathsK = 10000;

struct PathSearchStats {
  uint64_t expansions = 0;  // adjacencies examined by the enumeration
  bool complete = true;     // false: the budget ran out, the answer may miss better paths
};

// The k best simple paths from src to dst: shortest first, then heaviest (sum of log(1 +
// weight)), then in a fixed order, so the answer for k is a prefix of the answer for k + 1.
// Every path of a length is enumerated before the best are kept; when the budget runs out the
// paths found so far are returned and stats->complete is false. Empty when none within
// max_length or the budget.
std::vector<Path> KShortestPaths(const Graph& g, NodeId src, NodeId dst, const PathOptions& opts,
                                 PathSearchStats* stats = nullptr);

// "user:1 -PURCHASED-> product:7 <-MADE_BY- …" for the console. With hide_other_users, user
// nodes after the start read "user:*": a shopper's explanation does not name other shoppers.
std::string FormatPath(const Graph& g, const Path& p, bool hide_other_users = false);

}  // namespace kgp
