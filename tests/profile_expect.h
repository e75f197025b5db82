// The batch/incremental invariant's comparison of two snapshots of the same users, shared by the
// suites that check it (profile_test.cc, profile_update_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "profile/profile.h"

namespace kgp {

// Tolerance of the batch/incremental invariant: the same per-event arithmetic runs in both,
// so only summation order can differ (interest sums are floats).
inline constexpr double kRelTol = 1e-6;

inline void ExpectSameProfiles(const std::vector<Profile>& a, const std::vector<Profile>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const Profile& x = a[i];
    const Profile& y = b[i];
    ASSERT_EQ(x.user, y.user);
    EXPECT_EQ(x.events, y.events);
    EXPECT_EQ(x.as_of, y.as_of) << x.ext_id;
    EXPECT_EQ(x.purchases, y.purchases);
    EXPECT_EQ(x.sessions, y.sessions) << x.ext_id;
    EXPECT_EQ(x.lifecycle, y.lifecycle) << x.ext_id;
    EXPECT_EQ(x.rfm_segment, y.rfm_segment) << x.ext_id;
    EXPECT_EQ(x.price_level, y.price_level) << x.ext_id;
    EXPECT_EQ(x.hour_of_week, y.hour_of_week);
    EXPECT_NEAR(x.monetary, y.monetary, 1e-6 * std::max(1.0, x.monetary));
    EXPECT_NEAR(x.churn_risk, y.churn_risk, kRelTol);
    // Ratios of counts: the same events judged alike give the very same value (NaN: no data).
    for (auto [name, u, v] : {std::tuple{"discount_response", x.discount_response, y.discount_response},
                              {"price_sensitivity", x.price_sensitivity, y.price_sensitivity},
                              {"recency_days", x.recency_days, y.recency_days}})
      EXPECT_TRUE((std::isnan(u) && std::isnan(v)) || u == v) << x.ext_id << " " << name << ": " << u << " vs " << v;
    for (int k = 0; k < kNumTagKinds; ++k) {
      ASSERT_EQ(x.interests[k].size(), y.interests[k].size()) << x.ext_id;
      for (size_t j = 0; j < x.interests[k].size(); ++j) {
        // Ties may order differently; compare by tag.
        const Interest& t = x.interests[k][j];
        auto it = std::find_if(y.interests[k].begin(), y.interests[k].end(), [&](const Interest& u) { return u.tag == t.tag; });
        ASSERT_NE(it, y.interests[k].end());
        EXPECT_NEAR(t.weight, it->weight, kRelTol * std::max(1.0f, t.weight));
        EXPECT_EQ(t.evidence, it->evidence);
      }
    }
  }
}

}  // namespace kgp
