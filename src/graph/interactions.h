// Aggregates behaviour events into interaction edges, one per (user, item, edge type), with
// count, first/last time and summed weight. Used by `graph build` over the store and by the
// ingest benchmark straight from a parser. Memory: 24 bytes per event, twice that in Finish().
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "graph/schema.h"
#include "ingest/record.h"

namespace kgp {

struct Interaction {
  uint32_t user, item;
  EdgeTypeId type;
  uint32_t count;
  int64_t first_ts, last_ts;
  float weight;
};

class InteractionAggregator {
 public:
  void Reserve(size_t events) { raw_.reserve(events); }
  // Events that make no edge (remove_from_cart) are ignored.
  void Add(uint32_t user, uint32_t item, EventType type, int64_t ts, std::optional<double> value);
  // Groups by (user, item, type) and merges; output ordered by user, item, type. User ids must be
  // dense (memory is proportional to the largest). The aggregator is empty afterwards.
  std::vector<Interaction> Finish();
  size_t events() const { return raw_.size(); }
  size_t MemoryBytes() const { return raw_.capacity() * sizeof(Raw); }

 private:
  struct Raw {
    uint32_t user, item;
    int64_t ts;
    float weight;
    EdgeTypeId type;
  };
  std::vector<Raw> raw_;
};

}  // namespace kgp
