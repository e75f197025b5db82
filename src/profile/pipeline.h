// The profile stage over a workspace: what `kgprofile profile build | update | show | export`
// and the demo run. Profiles need the knowledge graph (item tags, price bands, demographics);
// the per-user state is kept in WORKSPACE/profiles.state so that updates are incremental.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "graph/graph.h"
#include "profile/builder.h"
#include "profile/cluster.h"
#include "store/workspace.h"

namespace kgp {

constexpr const char* kProfileStateFile = "profiles.state";

// The graph and the item index built on it (the index points into the graph: keep together).
struct ProfileContext {
  std::unique_ptr<Graph> graph;
  std::unique_ptr<ItemIndex> items;
  int64_t graph_version = 0;  // meta graph_version when the graph was read (0: never numbered)
};
// NotFound telling the user to run `kgprofile graph build` when the workspace has no graph.
// graph: GraphLoadOptions{.users = {id}} for one user's profile (LoadProfile) without every
// other user's edges.
Result<ProfileContext> LoadProfileContext(Workspace& ws, const GraphLoadOptions& graph = {});

// Events on products the graph does not have yet (ingested since the last `graph build`): an
// event on one counts, but adds no category, brand or attribute interest.
struct UntaggedEvents {
  size_t events = 0, products = 0;
  std::vector<std::string> examples;  // up to 3 product ids (items.ext_id)
  std::string Describe() const;       // "2 events on 1 product (7777777)"
};

struct ProfileBuildReport {
  size_t users = 0, events = 0;
  UntaggedEvents untagged;  // built without those interests: `graph build` first, then `profile build`
  int64_t as_of = 0;
  double load_s = 0, apply_s = 0, snapshot_s = 0, cluster_s = 0, write_s = 0, total_s = 0;
  ClusterModel clusters;
};

Result<ProfileBuildReport> BuildAllProfiles(Workspace& ws, ProfileContext& ctx, const ProfileOptions& opts,
                                            const ClusterOptions& copts, int threads);

struct ProfileUpdateReport {
  size_t events = 0, users_touched = 0;
  double events_per_s = 0, p50_us = 0, p99_us = 0, max_us = 0;  // in-process apply latency per event
  double refresh_s = 0;  // snapshot + clusters + tables afterwards
  int64_t as_of = 0;
  size_t late_events = 0;  // older than their user's latest event: session figures approximate
  UntaggedEvents untagged;  // applied without their interests (apply_untagged)
};
// Applies the events of ingest files newer than the state's watermark, one at a time, and
// clusters as the build did (or into `clusters` clusters, remembered for later updates).
// Events on products the graph does not have yet would never get their interests (the
// watermark passes them): refused, nothing applied, with the advice to run `graph build` first,
// unless apply_untagged (then applied and counted in the report).
Result<ProfileUpdateReport> UpdateProfiles(Workspace& ws, ProfileContext& ctx, std::optional<int> clusters = std::nullopt,
                                           bool apply_untagged = false);

// The current profiles (state file + cluster ids from the tables), every user with events.
Result<std::vector<Profile>> LoadProfiles(Workspace& ws, ProfileContext& ctx);

// One user's profile: finalized from the state file, RFM scores, segment and cluster read
// from the profile tables (they are population-relative). NotFound for an unknown user.
Result<Profile> LoadProfile(Workspace& ws, ProfileContext& ctx, const std::string& ext_id);

// Percentile (0…100) of v, nearest rank; v is sorted in place. 0 when empty.
double Percentile(std::vector<double>& v, double pct);

}  // namespace kgp
