// k-means clusters over profile vectors, with readable labels generated from what sets each
// centroid apart (its strongest root category, price level, activity). Deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace kgp {

struct Cluster {
  int id = 0;
  std::string label;
  size_t size = 0;
  std::vector<double> centroid;  // standardised features, names in ClusterModel::features
};

struct ClusterModel {
  std::vector<std::string> features;
  std::vector<Cluster> clusters;
  double inertia = 0;  // mean squared distance to the assigned centroid
};

struct ClusterOptions {
  int k = 8;
  int iterations = 30;
  uint64_t seed = 7;
  size_t sample = 50000;  // centroids are fitted on at most this many profiles (an even
                          // stride), then every profile is assigned to its nearest centroid
};

// Assigns Profile::cluster for every profile. k is capped by the number of profiles.
ClusterModel ClusterProfiles(const Graph& g, std::vector<Profile>& profiles, const ClusterOptions& opts);

}  // namespace kgp
