#include "recommend/algo/most_pop.h"

#include <algorithm>

namespace kgp::rec {

Status MostPop::Fit(const InteractionMatrix& train, const FitOptions&) {
  // Distinct users per item: a repeated purchase does not make an item more popular.
  auto counts = train.Dedup().ItemCounts();
  popularity_.assign(counts.begin(), counts.end());
  return Status::Ok();
}

void MostPop::Score(uint32_t, std::span<const uint32_t>, std::span<float> out) const {
  size_t n = std::min(out.size(), popularity_.size());
  std::copy_n(popularity_.begin(), n, out.begin());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), 0.0f);
}

}  // namespace kgp::rec
