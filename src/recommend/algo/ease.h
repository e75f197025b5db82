// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item ×
// item weights B minimising ||X - XB||² + λ||B||² subject to diag(B) = 0, in closed form
//   P = (XᵀX + λI)⁻¹,  B_ij = -P_ij / P_jj (i ≠ j),  B_ii = 0,
// with X the binary user × item matrix. A user's score is the sum of B's rows over the
// history. With `diag` > 0 the ridge grows with each item's own count,
// λ_i = λ + diag · G_ii: the full-rank emphasized denoising variant (EDLAE, Steck, "Autoencoders
// that don't overfit towards the identity", NeurIPS 2020) whose dropout rate p gives
// diag = p / (1 - p); popular items are shrunk more. Memory: one dense float n_items² matrix (2.5 GB for 24,915 items); Fit refuses
// more than max_items items. Fit is multithreaded; Score is thread-safe.
#pragma once

#include <vector>

#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

struct EaseOptions {
  double lambda = 400;     // ridge λ (tuned on a validation split of the training data)
  double diag = 0;         // extra ridge per unit of the item's own count (EDLAE)
  int64_t max_items = 40000;
  Status Check() const;  // InvalidArgument when a value is out of range (FromParams throws it, Fit returns it)
  static EaseOptions FromParams(const Params& p);
};

class Ease : public Recommender {
 public:
  explicit Ease(EaseOptions o = {}) : o_(o) {}
  std::string_view name() const override { return "EASE"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  // B_ij (tests).
  float Weight(uint32_t i, uint32_t j) const { return b_[static_cast<size_t>(i) * n_ + j]; }

 private:
  EaseOptions o_;
  size_t n_ = 0;
  std::vector<float> b_;
};

// Gram matrix XᵀX of the binary (deduplicated) matrix, dense row-major n_items², rows split
// between threads. Shared by EASE and its tests.
std::vector<float> DenseGram(const InteractionMatrix& deduped, int threads);

}  // namespace kgp::rec
