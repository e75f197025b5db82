// BPR-MF (Rendle et al., UAI 2009): matrix factorisation trained on the pairwise loss
// -ln σ(x_ui - x_uj) for a training pair (u, i) and a uniformly drawn item j the user has not
// interacted with, x_ui = b_i + <p_u, q_i>. Hogwild SGD (fastText style): `threads` workers
// share the tables lock-free, each with its own RNG seeded seed + thread; the learning rate
// decays linearly to lr_min over the epochs. threads = 1 is deterministic for a seed.
// Score is thread-safe; a user unseen at fit time is folded in as the mean of the history's
// item vectors.
#pragma once

#include <vector>

#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

struct BprOptions {
  // Defaults chosen on MovieLens-100K's validation split; Amazon-book's (scripts/eval-rec.sh)
  // train longer with a larger step (docs/recommend-eval.md).
  int dim = 64;
  int epochs = 100;
  double lr = 0.05;
  double lr_min = 0.005;
  double reg = 0.01;         // L2 on the parameters an update touches
  double init_std = 0.01;
  Status Check() const;  // InvalidArgument when a value is out of range (FromParams throws it, Fit returns it)
  static BprOptions FromParams(const Params& p);
};

class BprMf : public Recommender {
 public:
  explicit BprMf(BprOptions o = {}) : o_(o) {}
  std::string_view name() const override { return "BPR-MF"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  // Mean BPR loss of the last epoch (tests, progress).
  double last_loss() const { return last_loss_; }

 private:
  BprOptions o_;
  uint32_t num_users_ = 0, num_items_ = 0;
  std::vector<float> user_, item_, bias_;
  double last_loss_ = 0;
};

}  // namespace kgp::rec
