// Ranking metrics shared by the recommendation harness and the profile evaluation.
// All take a ranked list (best first, already cut to k) and the set of relevant items.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

namespace kgp::rec {

struct TopKMetrics {
  double precision = 0, recall = 0, ndcg = 0, hit = 0, mrr = 0;
};

// precision@k = hits / k; recall@k = hits / |relevant|; NDCG@k with binary gains and
// IDCG over min(k, |relevant|) ideal positions; hit = any relevant item in the list;
// mrr = 1 / rank of the first relevant item (0 when none).
template <class Set>
TopKMetrics ScoreTopK(std::span<const uint32_t> ranked, const Set& relevant, size_t k) {
  TopKMetrics m;
  if (relevant.empty() || k == 0) return m;
  size_t n = std::min(k, ranked.size());
  double dcg = 0, hits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (relevant.count(ranked[i])) {
      hits += 1;
      dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
      if (m.mrr == 0) m.mrr = 1.0 / static_cast<double>(i + 1);
    }
  }
  double idcg = 0;
  for (size_t i = 0; i < std::min(k, relevant.size()); ++i) idcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  m.precision = hits / static_cast<double>(k);
  m.recall = hits / static_cast<double>(relevant.size());
  m.ndcg = idcg > 0 ? dcg / idcg : 0;
  m.hit = hits > 0 ? 1 : 0;
  return m;
}

// Area under the ROC curve of scores for positives vs negatives (ties count one half).
double Auc(std::span<const float> positive_scores, std::span<const float> negative_scores);

}  // namespace kgp::rec
