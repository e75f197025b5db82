// The full-ranking protocol (KGAT, KGIN, LightGCN): for each user with held-out items, score
// every item, drop the user's training items, rank the rest and compare the top k with the
// held-out set. Ties rank the lower item id first (KGAT's heapq.nlargest keeps item order on
// ties). Averages are over users with at least one held-out item. Multithreaded; the model's
// Score must be thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "recommend/model.h"

namespace kgp::rec {

struct RankingOptions {
  std::vector<int> ks{20};  // cut-offs; metrics are named "recall@20" etc.
  // Also report "ndcg@K (KGAT)": KGAT's code takes the ideal DCG from the hits inside its
  // ranked list of max(Ks) = 100 items (metrics.py ndcg_at_k on sorted(r)), not from the
  // held-out set; "ndcg@K" is the standard definition (ideal over min(K, |held-out|)).
  bool kgat_ndcg = false;
  int kgat_list = 100;
  int threads = 2;
  bool progress = true;
};

struct RankingResult {
  std::map<std::string, double> metrics;
  size_t users = 0;
  double seconds = 0;
};

// Writes the best k items of scores (excluding those with exclude[i] set) into out, best
// first; ties by lower id. out.size() is the number wanted.
size_t TopK(std::span<const float> scores, std::span<const uint8_t> exclude, std::span<uint32_t> out);

// KGAT's NDCG: DCG@k of ranked (hits in the first k) over the ideal DCG of the hits found in
// ranked (all of ranked, which is the list of max(Ks) items), cut at k.
double KgatNdcg(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant_sorted, size_t k);

RankingResult EvaluateFullRanking(const Recommender& model, const InteractionMatrix& train,
                                  const std::vector<std::vector<uint32_t>>& test, const RankingOptions& opts);

}  // namespace kgp::rec
