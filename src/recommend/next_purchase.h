// Next-purchase prediction: for a user, the leaf categories they will buy in within the next
// `window_days`, with a calibrated probability. One example per (user, candidate category):
// every leaf the user touched plus the most bought leaves overall. A logistic model over the
// user's affinity, purchase history, recency, repurchase cycle and the category's share is
// fitted on (T − Δ, T] as seen from T − Δ (ranker.h), and its reliability measured on users it
// was not fitted on.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "recommend/engine.h"
#include "recommend/logistic.h"

namespace kgp::rec {

enum NextFeature : int {
  kNAffinity, kNPurchases, kNRecency, kNCycleDue, kNRecentActivity, kNShare, kNConsumable, kNumNextFeatures
};
const char* NextFeatureName(int f);

struct CategoryPropensity {
  NodeId leaf;
  double probability;
  std::array<float, kNumNextFeatures> features;
};

// Candidate categories with features (probability unset). popular_leaves: the overall top
// leaves every user is scored on. since: the user's events after the engine's history
// (Engine::Candidates).
std::vector<CategoryPropensity> NextPurchaseCandidates(const Engine& e, uint32_t user,
                                                       const std::vector<NodeId>& popular_leaves,
                                                       std::span<const ProfileEvent> since = {});
// The most bought leaf categories in the engine's history, best first.
std::vector<NodeId> TopPurchasedLeaves(const Engine& e, size_t n);

struct NextPurchaseModel {
  Logistic model;
  double window_days = 14;
  std::vector<NodeId> popular_leaves;
  // Top k categories by probability (the prior before fitting: affinity).
  std::vector<CategoryPropensity> Predict(const Engine& e, uint32_t user, size_t k,
                                          std::span<const ProfileEvent> since = {}) const;
};

}  // namespace kgp::rec
