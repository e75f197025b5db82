// Summary statistics of a loaded graph (`graph stats`).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/graph.h"

namespace kgp {

struct DegreeSummary {
  uint64_t nodes = 0;
  uint64_t min = 0, median = 0, p90 = 0, p99 = 0, max = 0;
  double mean = 0;
};

struct GraphStats {
  uint64_t nodes = 0, edges = 0;
  std::map<std::string, uint64_t> nodes_by_type, edges_by_type;
  std::map<std::string, DegreeSummary> degree_by_type;  // per node type
  uint64_t isolated = 0;
  size_t memory_bytes = 0;
};

GraphStats ComputeStats(const Graph& g);

}  // namespace kgp
