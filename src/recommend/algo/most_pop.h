// MostPop: every user gets the items ranked by training popularity (number of users who
// interacted). The floor every personalised model must beat.
#pragma once

#include <vector>

#include "recommend/model.h"

namespace kgp::rec {

class MostPop : public Recommender {
 public:
  std::string_view name() const override { return "MostPop"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;

 private:
  std::vector<float> popularity_;
};

}  // namespace kgp::rec
