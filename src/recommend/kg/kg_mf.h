// KgMf: matrix factorisation whose item vectors are smoothed over the knowledge graph, for
// click-through-rate prediction (KGCN's Last.FM protocol). The logit of user u on item i is
//   b + b_i + <p_u, q_i + mean_{e ∈ N(i)} x_e>
// where N(i) are the KG neighbours of item i (both directions, any relation; items are
// entities 0 … num_items-1) and x_e one vector per entity, shared by every item linked to e:
// items with few interactions borrow from items sharing an origin, genre or film. Without
// side information the model is plain biased MF. Trained with the logistic loss on the
// positives and, per positive and epoch, one item drawn uniformly from the items the user
// has not interacted with (the protocol's own 1:1 negatives), by SGD. Score writes logits:
// a CTR probability is sigmoid(score), the F1 threshold 0.5 is score >= 0.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

struct KgMfOptions {
  int dim = 16;
  int epochs = 30;
  float lr = 0.05f;
  float l2 = 0.01f;
  float init = 0.05f;
  int neighbours = 16;  // at most this many KG neighbours per item (the first ones by entity id)
};
// Keys as the fields above (model spec `kgmf:dim=32:epochs=20`); throws Error on a bad value.
KgMfOptions KgMfOptionsFrom(const Params& p);

class KgMf : public Recommender {
 public:
  explicit KgMf(KgMfOptions o = {}) : o_(o) {}
  std::string_view name() const override { return "KgMf"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  bool ScoresAreLogits() const override { return true; }

 private:
  void ItemVector(uint32_t i, float* v) const;

  KgMfOptions o_;
  uint32_t num_users_ = 0, num_items_ = 0;
  float bias_ = 0;
  std::vector<float> item_bias_, user_, item_, entity_;
  std::vector<uint64_t> nb_off_;
  std::vector<uint32_t> nb_;
};

}  // namespace kgp::rec
