// Item–item co-visitation: items a user touched close together in time (within one
// session window) are related; each pair adds the geometric mean of the two events'
// behaviour weights. The strongest neighbours of every item are kept. Built from a History.
// Memory while building: 8 bytes per event, and per thread a float per item.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "recommend/history.h"

namespace kgp::rec {

struct CoVisitOptions {
  int64_t window_s = 3600;       // events at most this far apart co-visit
  size_t max_span = 20;          // and at most this many events apart in the user's history
  size_t neighbors = 50;         // kept per item
  size_t threads = 2;            // rows are built on this many threads (1: the caller's)
  // Set: rows for these items only (the others stay empty and Built() says so), for a command
  // about one user or one item; a row then costs what it costs in the whole index.
  std::optional<std::vector<uint32_t>> rows_for;
};

struct Neighbor {
  uint32_t item;
  float score;
};

class CoVisitIndex {
 public:
  static CoVisitIndex Build(const History& h, const CoVisitOptions& opts = {});
  // Strongest first.
  std::span<const Neighbor> Of(uint32_t item) const {
    if (static_cast<size_t>(item) + 1 >= offsets_.size()) return {};
    return {nbrs_.data() + offsets_[item], nbrs_.data() + offsets_[item + 1]};
  }
  size_t pairs() const { return nbrs_.size(); }
  // Whether item's row was built (every row is, unless CoVisitOptions::rows_for was set; an id
  // past the catalogue counts as built, with no neighbours, only then).
  bool Built(uint32_t item) const { return !only_ || std::binary_search(only_->begin(), only_->end(), item); }

 private:
  std::optional<std::vector<uint32_t>> only_;  // rows_for, sorted
  std::vector<uint64_t> offsets_{0};
  std::vector<Neighbor> nbrs_;
};

}  // namespace kgp::rec
