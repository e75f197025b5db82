#include "recommend/metrics.h"

namespace kgp::rec {

double Auc(std::span<const float> pos, std::span<const float> neg) {
  if (pos.empty() || neg.empty()) return NAN;
  // Rank-sum (Mann–Whitney U) over the merged, sorted scores; ties share their mean rank.
  std::vector<std::pair<float, bool>> all;
  all.reserve(pos.size() + neg.size());
  for (float s : pos) all.emplace_back(s, true);
  for (float s : neg) all.emplace_back(s, false);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    size_t npos = 0;
    while (j < all.size() && all[j].first == all[i].first) npos += all[j++].second;
    double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    rank_sum += mean_rank * static_cast<double>(npos);
    i = j;
  }
  double np = static_cast<double>(pos.size()), nn = static_cast<double>(neg.size());
  return (rank_sum - np * (np + 1) / 2) / (np * nn);
}

}  // namespace kgp::rec
