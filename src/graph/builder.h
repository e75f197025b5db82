// `graph build`: derives the knowledge graph from the store's record of truth (events,
// catalogue, users, KG triples) and writes it to graph_nodes / graph_edges in one transaction,
// replacing the previous graph. The raw events stay untouched. See docs/graph.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

struct GraphBuildOptions {
  int price_bands = 5;              // quantile bands per category (needs ≥ price_bands priced items)
  int min_copurchase = 2;           // users who bought both, for a CO_PURCHASED_WITH edge
  int copurchase_max_items = 50;    // per user, most recent distinct purchases considered
};

struct GraphBuildReport {
  std::map<std::string, uint64_t> nodes_by_type;
  std::map<std::string, uint64_t> edges_by_type;
  uint64_t nodes = 0, edges = 0, events = 0;
  double seconds = 0;
};

Status BuildGraph(Db& db, const GraphBuildOptions& opts, GraphBuildReport* report);

}  // namespace kgp
