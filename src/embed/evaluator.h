// Link-prediction evaluation: for each test triple, rank the true tail among all entities for
// (h, r, ?) and the true head for (?, r, t). Raw ranks count every entity; filtered ranks skip
// the other known true answers (train, valid and test). Tie policy: a triple's rank is
// 1 + (entities scoring higher) + (other entities scoring equal) / 2, the mean of the ranks
// it could take among its ties; a NaN score ranks last. Test triples whose entities never
// appear in training are kept and ranked like the others.
#pragma once

#include <cstdint>
#include <vector>

#include "embed/dataset.h"
#include "embed/model.h"

namespace kgp::embed {

struct Metrics {
  size_t count = 0;  // ranked queries
  double mr = 0, mrr = 0, hits1 = 0, hits3 = 0, hits10 = 0;
};

struct RelationMetrics {
  uint32_t relation;
  Metrics filtered;
};

struct EvalResult {
  Metrics filtered, raw;                 // heads and tails together
  Metrics filtered_head, filtered_tail;  // per side
  Metrics raw_head, raw_tail;
  std::vector<RelationMetrics> per_relation;  // filtered, both sides
  double seconds = 0;
};

struct EvalOptions {
  int threads = 0;  // 0 = all cores
  bool per_relation = true;
};

struct Ranks {
  double raw, filtered;
};

// Rank of scores[target] among scores[0..n), and with known true answers (sorted ids) skipped.
Ranks RankOf(const float* scores, size_t n, uint32_t target, const uint32_t* known_begin, const uint32_t* known_end);

// Aggregates ranks into metrics.
Metrics Summarize(const std::vector<double>& ranks);

EvalResult Evaluate(const Model& model, const Params& params, const std::vector<Triple>& triples,
                    const KnownTriples& known, const EvalOptions& opts);

}  // namespace kgp::embed
