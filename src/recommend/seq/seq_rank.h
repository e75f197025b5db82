// SeqRank: SeqMix's components recombined by a logistic regression learned inside Fit, on
// the training data alone. Fit holds out each user's last training item, fits SeqMix on the
// rest, scores that item and `negatives` items the user never had (drawn uniformly, own seed)
// by their components, and learns the weights (pointwise, classes balanced: rec::Logistic);
// then SeqMix is fitted again on all of the training data and scored with those weights. The
// features of item j: each component of SeqMixParts and SeqMix's score, raw and as log(ε + x),
// log P(j), and whether the history has items before the last. Same keys as seqmix, plus negatives,
// max_users (users whose held-out item is learned from; 0 = all), seed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "recommend/logistic.h"
#include "recommend/seq/seq_mix.h"

namespace kgp::rec {

struct SeqRankOptions {
  SeqMixOptions mix;
  int negatives = 99;
  int64_t max_users = 30000;  // lists learned from (a random subset beyond it; 0 = all): ~6 MB each 1,000
  uint64_t seed = 7;
};
SeqRankOptions SeqRankOptionsFrom(const Params& p);

class SeqRank : public Recommender {
 public:
  explicit SeqRank(SeqRankOptions o = {}) : o_(o), mix_(o.mix) {}
  std::string_view name() const override { return "SeqRank"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  const Logistic& weights() const { return lr_; }

  static constexpr size_t kFeatures = 16;
  // Features of item j (kFeatures floats) from the history's components.
  static void Features(const SeqMix& mix, const SeqMixParts& p, uint32_t j, float* out);

 private:
  SeqRankOptions o_;
  SeqMix mix_;
  Logistic lr_;
};

}  // namespace kgp::rec
