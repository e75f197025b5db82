#include "profile/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/log.h"
#include "common/time.h"
#include "profile/store.h"
#include "store/commit_lock.h"

namespace kgp {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MaxFileId(Db& db) { return db.QueryInt("SELECT coalesce(max(id), 0) FROM ingest_files", 0); }

UntaggedEvents FindUntagged(Db& db, const ItemIndex& items, const std::vector<ProfileEvent>& events) {
  UntaggedEvents u;
  std::vector<uint32_t> products;
  for (const ProfileEvent& e : events)
    if (!items.InGraph(e.item)) ++u.events, products.push_back(e.item);
  std::sort(products.begin(), products.end());
  products.erase(std::unique(products.begin(), products.end()), products.end());
  u.products = products.size();
  Stmt st = db.Prepare("SELECT ext_id FROM items WHERE id = ?");
  for (size_t i = 0; i < products.size() && i < 3; ++i) {
    st.Bind(1, static_cast<int64_t>(products[i]));
    u.examples.emplace_back(st.Step() ? std::string(st.Text(0)) : fmt::format("items.id {}", products[i]));
    st.Reset();
  }
  return u;
}

// Writes the profile tables and the state file of set, whose tag ids are ctx.graph's.
// tags_of (by users.id), when given: the users whose tag rows changed since the rows were
// written from the state marked `rows_of` (TagRowsMarker); every row is written when the stored
// marker is another (a server run saved the state, a graph was built, another writer committed)
// or when many users changed (deleting their rows one by one costs more).
Status Refresh(Workspace& ws, ProfileContext& ctx, ProfileSet& set, ClusterModel* model_out, double* cluster_s,
               double* write_s, const std::vector<uint8_t>* tags_of = nullptr, const std::string& rows_of = "") {
  std::vector<Profile> profiles = Snapshot(*ctx.items, set);
  auto t = Clock::now();
  ClusterModel model = ClusterProfiles(*ctx.graph, profiles, set.clusters);
  // The commit, under the workspace's commit lock (erasure holds it for its whole run): the
  // users erased since the store was read are dropped first, else the tables and the state
  // would bring them back. Then (rarely) snapshot and clusters again, without them.
  auto commit = CommitLock::Acquire(ws, "profile build/update");
  if (!commit.ok()) return commit.status();
  if (!DropErasedUsers(ws.db(), &set).empty()) {
    profiles = Snapshot(*ctx.items, set);
    model = ClusterProfiles(*ctx.graph, profiles, set.clusters);
    if (cluster_s) *cluster_s = SecondsSince(t);
  }
  t = Clock::now();
  if (tags_of) {
    const size_t changed = static_cast<size_t>(std::count(tags_of->begin(), tags_of->end(), 1));
    if (StoredTagRowsMarker(ws.db()) != rows_of || changed * 3 > profiles.size()) tags_of = nullptr;
  }
  KGP_RETURN_IF_ERROR(WriteProfileTables(ws.db(), *ctx.graph, profiles, model, {}, tags_of,
                                         TagRowsMarker(ctx.graph_version, set.applied_file_id)));
  DescribeNodes(*ctx.graph, &set);
  // A running server owns the state file: it holds the profiles in memory, applies its own
  // events and saves them when it stops (a state saved here would be overwritten, or, after a
  // crash of the server, would mark its events applied when they are not).
  if (const int64_t pid = ServingPid(ws))
    LOG_WRN("{}: left to the running kgprofile serve{}, which saves it when it stops; the profile tables are refreshed",
            ws.Path(kProfileStateFile), pid > 0 ? fmt::format(" (pid {})", pid) : std::string());
  else
    KGP_RETURN_IF_ERROR(SaveProfileSet(ws.Path(kProfileStateFile), set));
  if (write_s) *write_s = SecondsSince(t);
  if (model_out) *model_out = std::move(model);
  return Status::Ok();
}

}  // namespace

std::string UntaggedEvents::Describe() const {
  std::string ids = fmt::format("{}", fmt::join(examples, ", "));
  if (products > examples.size()) ids += fmt::format(" and {} more", products - examples.size());
  return fmt::format("{} event{} on {} product{} ({})", events, events == 1 ? "" : "s", products, products == 1 ? "" : "s", ids);
}

double Percentile(std::vector<double>& v, double pct) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(pct / 100.0 * static_cast<double>(v.size()))) -
                                              (pct > 0 ? 1 : 0));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

Result<ProfileContext> LoadProfileContext(Workspace& ws, const GraphLoadOptions& graph) {
  if (ws.db().QueryInt("SELECT count(*) FROM graph_nodes") == 0)
    return Status::NotFound(fmt::format("{}: no knowledge graph yet; profiles need it (run: kgprofile graph build {})",
                                        ws.dir(), ws.dir()));
  ProfileContext ctx;
  {
    Txn read(ws.db(), /*immediate=*/false);  // the number of the graph read, not of a later build
    ctx.graph_version = ws.db().QueryInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'graph_version'", 0);
    auto g = Graph::Load(ws.db(), graph);
    if (!g.ok()) return g.status();
    ctx.graph = std::make_unique<Graph>(std::move(g).value());
    read.Commit();
  }
  auto items = ItemIndex::Build(ws.db(), *ctx.graph);
  if (!items.ok()) return items.status();
  ctx.items = std::make_unique<ItemIndex>(std::move(items).value());
  return ctx;
}

Result<ProfileBuildReport> BuildAllProfiles(Workspace& ws, ProfileContext& ctx, const ProfileOptions& opts,
                                            const ClusterOptions& copts, int threads) {
  if (ws.db().QueryInt("SELECT count(*) FROM events") == 0)
    return Status::NotFound(fmt::format("{}: no events to build profiles from (run: kgprofile ingest {} FILE…)", ws.dir(), ws.dir()));
  ProfileBuildReport r;
  const auto t0 = Clock::now();
  ProfileSet set;
  set.opts = opts;
  set.clusters = copts;
  std::vector<ProfileEvent> events;
  {
    // One read snapshot: a file ingested meanwhile is either in both the events and the
    // watermark or in neither (else the next update would apply it twice).
    Txn read(ws.db(), /*immediate=*/false);
    set.applied_file_id = MaxFileId(ws.db());
    set.ext_ids = LoadUserIds(ws.db());
    events = LoadEvents(ws.db());
    read.Commit();
  }
  r.events = events.size();
  r.untagged = FindUntagged(ws.db(), *ctx.items, events);
  r.load_s = SecondsSince(t0);
  auto t = Clock::now();
  BatchBuild(*ctx.items, std::move(events), threads, &set);
  r.apply_s = SecondsSince(t);
  t = Clock::now();
  for (const auto& s : set.states) r.users += s.events > 0;
  r.as_of = set.as_of;
  KGP_RETURN_IF_ERROR(Refresh(ws, ctx, set, &r.clusters, &r.cluster_s, &r.write_s));
  r.snapshot_s = SecondsSince(t) - r.cluster_s - r.write_s;
  r.total_s = SecondsSince(t0);
  return r;
}

Result<ProfileUpdateReport> UpdateProfiles(Workspace& ws, ProfileContext& ctx, std::optional<int> clusters,
                                           bool apply_untagged) {
  auto loaded = LoadProfileSet(ws.Path(kProfileStateFile));
  if (!loaded.ok()) return loaded.status();
  ProfileSet set = std::move(loaded).value();
  // Tag rows are rewritten only for the users events reach, unless the tags of others may have
  // changed too: nodes renumbered or dropped; and (Refresh) rows not written from this state
  // and this graph (entity interests come from its MENTIONS edges).
  bool all_tags = !GraphRemap(*ctx.graph, set).empty();
  MatchGraph(*ctx.graph, &set);
  if (clusters) set.clusters.k = *clusters;
  ProfileUpdateReport r;
  EventFilter f;
  f.after_file = set.applied_file_id;
  std::vector<ProfileEvent> events;
  std::vector<std::string> ids;
  const int64_t applied = set.applied_file_id;
  {
    Txn read(ws.db(), /*immediate=*/false);  // one snapshot, as in BuildAllProfiles
    events = LoadEvents(ws.db(), f);
    set.applied_file_id = MaxFileId(ws.db());
    ids = LoadUserIds(ws.db());
    read.Commit();
  }
  r.untagged = FindUntagged(ws.db(), *ctx.items, events);
  // Refused only where the state is saved: beside a running server it is not (Refresh), the
  // watermark does not pass these events, and refusing would only leave the server's RFM and
  // cluster tables stale until a graph build.
  if (r.untagged.events > 0 && !apply_untagged && ServingPid(ws) == 0)
    return Status::InvalidArgument(fmt::format(
        "{}: {} the knowledge graph does not have yet: applied now, they would never add their category, brand and "
        "attribute interests; nothing applied (files given were ingested and will not be read again). Run kgprofile "
        "graph build {}, then profile update again (or profile update --allow-untagged to apply them without those "
        "interests)",
        ws.dir(), r.untagged.Describe(), ws.dir()));
  // Before the events: a users.id given again after an erasure starts from an empty slot, and
  // an erasure the state missed takes the user's share of as-of and prices with it.
  bool emptied = false;
  KGP_RETURN_IF_ERROR(SyncUserIds(std::move(ids), &set, &emptied));
  if (emptied) RecomputeAfterErasure(ws.db(), applied, &set);
  std::vector<double> lat;
  lat.reserve(events.size());
  std::vector<uint8_t> touched;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < events.size(); ++i) {
    const ProfileEvent& e = events[i];
    r.late_events += e.user < set.states.size() && set.states[e.user].events > 0 && e.ts < set.states[e.user].last_ts;
    const auto a = Clock::now();
    RaiseSecond(events, i, &set);
    ApplyIncremental(*ctx.items, e, &set);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (touched.size() <= e.user) touched.resize(e.user + 1, 0);
    r.users_touched += !touched[e.user];
    touched[e.user] = 1;
  }
  const double secs = SecondsSince(t0);
  r.events = events.size();
  r.events_per_s = secs > 0 ? static_cast<double>(r.events) / secs : 0;
  r.p50_us = Percentile(lat, 50), r.p99_us = Percentile(lat, 99), r.max_us = Percentile(lat, 100);
  r.as_of = set.as_of;
  const auto t = Clock::now();
  all_tags = all_tags || emptied;
  KGP_RETURN_IF_ERROR(Refresh(ws, ctx, set, nullptr, nullptr, nullptr, all_tags ? nullptr : &touched,
                              TagRowsMarker(ctx.graph_version, applied)));
  r.refresh_s = SecondsSince(t);
  return r;
}

Result<std::vector<Profile>> LoadProfiles(Workspace& ws, ProfileContext& ctx) {
  auto loaded = LoadProfileSet(ws.Path(kProfileStateFile));
  if (!loaded.ok()) return loaded.status();
  MatchGraph(*ctx.graph, &*loaded);
  std::vector<Profile> profiles = Snapshot(*ctx.items, *loaded);
  Stmt st = ws.db().Prepare("SELECT user_id, cluster FROM profiles WHERE cluster IS NOT NULL ORDER BY user_id");
  size_t i = 0;
  while (st.Step()) {
    const auto u = static_cast<uint32_t>(st.Int(0));
    while (i < profiles.size() && profiles[i].user < u) ++i;
    if (i < profiles.size() && profiles[i].user == u) profiles[i].cluster = static_cast<int>(st.Int(1));
  }
  return profiles;
}

Result<Profile> LoadProfile(Workspace& ws, ProfileContext& ctx, const std::string& ext_id) {
  auto loaded = LoadProfileSet(ws.Path(kProfileStateFile));
  if (!loaded.ok()) return loaded.status();
  const NodeRemap remap = GraphRemap(*ctx.graph, *loaded);  // for the one user shown
  const ProfileSet& set = *loaded;
  for (size_t u = 0; u < set.ext_ids.size() && u < set.states.size(); ++u) {
    if (set.ext_ids[u] != ext_id || set.states[u].events == 0) continue;
    UserState state = set.states[u];
    if (!remap.empty()) RemapState(remap, &state);
    Profile p = Finalize(*ctx.items, set.opts, state, set.as_of);
    p.user = static_cast<uint32_t>(u);
    p.ext_id = ext_id;
    FillFromGraph(*ctx.graph, set.opts, p);
    Stmt st = ws.db().Prepare("SELECT r_score, f_score, m_score, rfm_segment, cluster FROM profiles WHERE user_id = ?");
    st.Bind(1, static_cast<int64_t>(u));
    if (st.Step()) {
      p.r_score = static_cast<int>(st.Int(0)), p.f_score = static_cast<int>(st.Int(1)), p.m_score = static_cast<int>(st.Int(2));
      p.rfm_segment = std::string(st.Text(3));
      if (!st.IsNull(4)) p.cluster = static_cast<int>(st.Int(4));
    }
    return p;
  }
  return Status::NotFound(fmt::format("no profile for user '{}' (unknown id, or no events)", ext_id));
}

}  // namespace kgp
