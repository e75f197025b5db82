// Differentially private aggregates over a workspace: what leaves the system as counts
// (audience sizes, segment sizes). Each call charges the workspace budget (budget.h) before
// drawing noise and returns its result with the release flags {"dp", "epsilon", "delta",
// "mechanism"}; a non-DP call (epsilon = 0 and the workspace does not set dp_required) returns
// exact numbers flagged "dp": false. Neighbouring datasets differ by one user: a user is in at
// most one audience count and one segment, so counts and the segment histogram have L1 and L2
// sensitivity 1; the category report bounds each user's contribution explicitly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "privacy/dp.h"
#include "store/workspace.h"

namespace kgp::privacy {

struct DpOptions {
  // ε of this query; 0 = exact unless the workspace sets dp_required (then its dp_epsilon).
  // Negative = the workspace's dp_epsilon.
  double epsilon = 0;
  double delta = -1;          // Gaussian only; < 0 = the workspace's dp_delta
  std::string mechanism;      // "laplace" | "gaussian"; empty = the workspace's dp_mechanism
  NoiseSource* noise = nullptr;  // null = SecureNoise (tests pass SeededNoise)
};

// How a number was released.
struct ReleaseInfo {
  bool dp = false;
  double epsilon = 0, delta = 0;
  std::string mechanism;  // "" when exact
  double noise_scale = 0;  // Laplace b or Gaussian σ
  int64_t ledger_id = 0;
  nlohmann::json Json() const;  // {"dp", "epsilon", "delta", "mechanism", "noise_scale"}
};

struct DpCount {
  int64_t count = 0;  // noisy, rounded, at least 0 (post-processing: no privacy cost)
  ReleaseInfo release;
};

// Users whose profile matches the audience rule (profile/rule.h). InvalidArgument, spending
// nothing, when the rule names a tag no profile has.
Result<DpCount> DpCountAudience(Workspace& ws, std::string_view rule, const DpOptions& opts);

struct DpSegment {
  int id = 0;
  std::string label;
  int64_t size = 0;
};
struct DpSegments {
  std::vector<DpSegment> segments;
  ReleaseInfo release;  // one charge for the whole histogram (disjoint segments)
};
// Profile cluster sizes (profiles.cluster), one noisy count per cluster of profile_clusters.
Result<DpSegments> DpSegmentSizes(Workspace& ws, const DpOptions& opts);

// Category report: users per category of one level of the tree (1 = roots), each user counted
// in their `per_user` strongest categories of that level (profile_tags). Every coded category of
// the level is listed, zeros included (the list is catalogue data; leaving out empty ones
// would tell which are empty). A user moves at most per_user counts by one: L1 sensitivity
// per_user, L2 √per_user. Categories known only by a source id ("id:…") are left out.
struct DpCategoryCount {
  std::string code, name;
  int64_t users = 0;
};
struct DpCategoryReport {
  int level = 1, per_user = 1;
  std::vector<DpCategoryCount> categories;  // by code
  ReleaseInfo release;
};
Result<DpCategoryReport> DpCategoryUsers(Workspace& ws, int level, int per_user, const DpOptions& opts);

// Lower level: noise for one count or histogram under opts, charging `query` to the budget.
// counts are replaced by their noisy, rounded, non-negative values. l1 / l2: how much one user
// can move the counts (Laplace uses l1, Gaussian l2).
Result<ReleaseInfo> ReleaseCounts(Workspace& ws, std::vector<int64_t>& counts, std::string_view query,
                                  const DpOptions& opts, double l1 = 1.0, double l2 = 1.0);

}  // namespace kgp::privacy
