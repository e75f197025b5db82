// SeqMix: a next-item model for short purchase sequences, fitted by counting (seconds on
// one core). The score of item j after history h_1 … h_L (most recent last) mixes, with
// recency weights r^(L-k) over the history items h_k:
//   transition  P(j | h_k): co-occurrence of h_k then j within `window` positions,
//               weighted decay^(gap-1) forward and backward·decay^(gap-1) backward,
//               normalised per h_k;
//   two-hop     Σ_m P(m | h_k) P(j | m): the transition graph one step further;
//   attributes  Σ_{a ∈ attrs(h_k)} P(a | h_k) P(j | a), P(j | a) ∝ (count_j + 1)^attr_pop
//               over the items carrying a (the side information: KG tails of the item);
// plus pop · P(j), the smoothed popularity, so that items with no link still rank.
// Setting window = 1, backward = 0, two_hop = 0, attr = 0 gives a first-order Markov chain.
// Hyperparameters were chosen on the validation item of Beauty (docs/recommend-eval-seq.md).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

struct SeqMixOptions {
  int window = 10;
  float decay = 0.7f;
  float backward = 0.5f;
  float recency = 0.7f;
  float two_hop = 2.0f;
  float attr = 1.0f;
  float attr_pop = 0.7f;
  float pop = 0.01f;
  int max_history = 50;  // history items looked at (most recent first)
};
// Keys as the fields above, over the defaults (model spec `seqmix:window=5:two_hop=1`).
// Throws Error on a value that does not parse (algo/factory.cc reports it).
SeqMixOptions SeqMixOptionsFrom(const Params& p);

// The score's components per item, split into the last history item (index 0) and the
// recency-weighted mean over the earlier ones (index 1): transitions, two-hop transitions,
// attributes (times (count_j + 1)^attr_pop). Score is
//   [Σ_s w_s (t_s + two_hop·h_s + attr·a_s)] / (w_0 + w_1) + pop·P(j),
// w_0 = 1 when the last item is known, w_1 = rest_weight (the earlier items' recency weights).
struct SeqMixParts {
  std::vector<float> t[2], h[2], a[2];
  float last_weight = 0, rest_weight = 0;
};

class SeqMix : public Recommender {
 public:
  explicit SeqMix(SeqMixOptions o = {}, std::string name = "SeqMix") : o_(o), name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  // Components of Score for every item; two-hop ones only when two_hop is set (else zero).
  void Parts(std::span<const uint32_t> history, bool two_hop, SeqMixParts* parts) const;
  // Score of item j from its parts (what Score writes).
  float Combine(const SeqMixParts& p, uint32_t j) const;
  float Prior(uint32_t item) const { return prior_[item]; }
  uint32_t num_items() const { return num_items_; }

 private:
  SeqMixOptions o_;
  std::string name_;
  uint32_t num_items_ = 0, num_attrs_ = 0;
  std::vector<float> prior_;                 // P(j), add-one smoothed
  std::vector<float> attr_item_;             // (count_j + 1)^attr_pop
  std::vector<uint64_t> nb_off_;             // transition CSR: item → (item, P)
  std::vector<uint32_t> nb_item_;
  std::vector<float> nb_p_;
  std::vector<uint64_t> at_off_;             // item → attributes
  std::vector<uint32_t> at_id_;
  std::vector<float> attr_norm_;             // 1 / Σ_{j carrying a} (count_j + 1)^attr_pop
};


}  // namespace kgp::rec
