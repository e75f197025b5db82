// Profiles as SQL tables (profiles, profile_tags, profile_clusters; schema migration 2,
// docs/profile.md) for audience queries and other tools.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "profile/cluster.h"
#include "profile/profile.h"
#include "store/db.h"

namespace kgp {

// Tags stored per user and kind: the strongest max_tags_per_kind with weight ≥ min_weight.
struct ProfileTableOptions {
  size_t max_tags_per_kind = 20;
  double min_weight = 0.01;
};

// Replaces the tables' contents in one transaction. tags_of (by users.id), when given: only
// those users' rows of profile_tags are replaced, the others kept. Their tags are as they were
// when no event of theirs was applied: weights are shares of the user's own decayed total, so
// a later as-of date scales both alike (profiles rows, with recency and RFM, are all written).
// rows_of (TagRowsMarker) is stored as what the tag rows are now of.
Status WriteProfileTables(Db& db, const Graph& g, const std::vector<Profile>& profiles, const ClusterModel& clusters,
                          const ProfileTableOptions& opts = {}, const std::vector<uint8_t>* tags_of = nullptr,
                          const std::string& rows_of = "");

// What profile_tags rows were written from: the graph build (ProfileContext::graph_version), the
// state's watermark (ProfileSet::applied_file_id) and the rows' format. A partial write is right
// only on rows of the very state and graph it starts from (meta profile_tags_of).
std::string TagRowsMarker(int64_t graph_version, int64_t applied_file_id);
std::string StoredTagRowsMarker(Db& db);  // "" when none

// Cluster id and label of a user from the tables; (-1, "") when none.
std::pair<int, std::string> ReadCluster(Db& db, uint32_t user);

}  // namespace kgp
