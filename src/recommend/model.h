// One interface for every recommendation model (MostPop, ItemKNN, BPR-MF, EASE, the
// sequential and KG-aware models): fit on an interaction matrix plus optional side
// information, then score all items for a user given that user's history. The offline
// harness (`kgprofile eval rec`) and the online recommender use the same implementations.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "recommend/interactions.h"

namespace kgp::rec {

// Item side information: knowledge-graph triples whose heads or tails may be items.
// Entities are numbered so that item i is entity i (items first); other entities follow.
struct KgTriple {
  uint32_t head, relation, tail;
};
struct SideInfo {
  uint32_t num_entities = 0, num_relations = 0;
  std::vector<KgTriple> triples;
  bool empty() const { return triples.empty(); }
};

struct FitOptions {
  int threads = 2;
  uint64_t seed = 1;
  bool quiet = false;
  const SideInfo* side = nullptr;  // nullptr or empty: no KG
};

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string_view name() const = 0;
  virtual Status Fit(const InteractionMatrix& train, const FitOptions& opts) = 0;
  // Writes a score per item into out (size num_items; higher is better). history is the
  // user's training row (chronological where known); user may be out of range for a user
  // unseen at fit time, in which case only history is used. Thread-safe after Fit.
  virtual void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const = 0;
  // Whether Score writes logits (probability = sigmoid(score)), so that a fixed threshold
  // (logit 0, probability 0.5) means something: the CTR protocol reports F1 and accuracy only
  // for such models. Counts, cosines and rank scores are not (they are never negative).
  virtual bool ScoresAreLogits() const { return false; }
};

}  // namespace kgp::rec
