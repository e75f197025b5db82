// Profile benchmark (make bench, scripts/bench-profile.sh):
//  1. A generated shop (catalogue, graph, personas) through the real pipeline: `profile build`
//     from the store against a SQL GROUP BY over the same events table (baseline), and
//     planted-persona precision@3.
//  2. Batch build at scale: USERS users and EVENTS synthetic events over that shop's catalogue,
//     held in memory (the store's own read speed is measured in 1), with THREADS threads.
//  3. Incremental update, single-threaded: events/s and per-event latency percentiles, against
//     naive recomputation of the user's profile state from all their events (baseline).
// Peak RSS is getrusage's high-water mark of this process after each step.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/huge_alloc.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/progress.h"
#include "common/time.h"
#include "graph/builder.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "profile/eval.h"
#include "profile/pipeline.h"

namespace kgp {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// User + system CPU seconds of this process: on a machine shared with other work, CPU time / threads
// is what the step would take on otherwise idle cores.
double SystemSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
}
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6 + SystemSeconds();
}
double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  char buf[64] = {};
  if (f) {
    if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
    std::fclose(f);
  }
  std::string s(buf);
  return s.substr(0, s.find(' '));
}


// Synthetic stream in time order: each user has 3 favourite leaves (60% of events), the rest
// uniform over items; views 90%, carts 6%, remove 1.5%, purchases 2.5%; 90 days.
std::vector<ProfileEvent> SyntheticEvents(const ItemIndex& items, uint64_t users, uint64_t events, uint64_t seed) {
  std::vector<std::vector<uint32_t>> by_leaf_items;
  std::vector<NodeId> leaf_of;
  std::vector<uint32_t> all;
  {
    std::vector<std::pair<NodeId, uint32_t>> v;
    for (uint32_t i = 1; i < items.num_items(); ++i)
      if (items.Leaf(i) != kNoNode) v.emplace_back(items.Leaf(i), i), all.push_back(i);
    std::sort(v.begin(), v.end());
    for (size_t i = 0; i < v.size(); ++i) {
      if (i == 0 || v[i].first != v[i - 1].first) by_leaf_items.emplace_back();
      by_leaf_items.back().push_back(v[i].second);
    }
  }
  Rng rng(seed);
  std::vector<ProfileEvent> out(events);
  const int64_t t0 = 1767225600, span = 90LL * 86400;
  for (uint64_t k = 0; k < events; ++k) {
    ProfileEvent& e = out[k];
    e.user = static_cast<uint32_t>(1 + rng.Below(users));
    e.ts = t0 + static_cast<int64_t>(span * k / events);
    uint32_t item;
    if (rng.Uniform() < 0.6) {
      // The user's favourites: a hash of the user id picks 3 leaves.
      Rng fav(e.user * 0x2545F4914F6CDD1DULL);
      const auto& leaf = by_leaf_items[fav.Below(by_leaf_items.size())];
      item = leaf[rng.Below(leaf.size())];
      for (uint64_t r = rng.Below(uint64_t{3}); r > 0; --r) {
        const auto& l = by_leaf_items[fav.Below(by_leaf_items.size())];
        item = l[rng.Below(l.size())];
      }
    } else {
      item = all[rng.Below(all.size())];
    }
    e.item = item;
    const double t = rng.Uniform();
    e.type = t < 0.9 ? EventType::kView : t < 0.96 ? EventType::kCart : t < 0.975 ? EventType::kRemoveFromCart : EventType::kPurchase;
    e.price = items.CatalogPrice(item) * (rng.Uniform() < 0.3 ? 0.85f : 1.0f);
    e.value = NAN;
  }
  return out;
}

int Run(int argc, char** argv) {
  TuneMallocForBulkWork();
  const uint64_t users = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const uint64_t events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const std::string work = argc > 4 ? argv[4] : "build/bench-work/profile";
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  fs::remove_all(work);

  // 1. The generated shop through the store.
  GeneratorOptions g;
  g.out_dir = work + "/sample";
  g.users = 2000, g.events = 200000;
  ThrowIfError(Generate(g, nullptr));
  auto wsr = Workspace::Init(work + "/ws", WorkspaceOptions{});
  if (!wsr.ok()) throw Error(wsr.status());
  Workspace& ws = **wsr;
  for (const char* f : {"categories.csv", "brands.csv", "catalog.csv", "users.csv", "events.csv"}) {
    auto r = Ingest(ws, g.out_dir + "/" + f, IngestOptions{});
    if (!r.ok()) throw Error(r.status());
  }
  ThrowIfError(BuildGraph(ws.db(), GraphBuildOptions{}, nullptr));
  auto ctxr = LoadProfileContext(ws);
  if (!ctxr.ok()) throw Error(ctxr.status());
  ProfileContext& ctx = *ctxr;
  fmt::print("== 1. generated shop through the store: {} users, {} events ==\n", g.users, g.events);
  auto b = BuildAllProfiles(ws, ctx, ProfileOptions{}, ClusterOptions{}, threads);
  if (!b.ok()) throw Error(b.status());
  fmt::print("profile build (load {:.3f}s + apply {:.3f}s + snapshot {:.3f}s + clusters {:.3f}s + tables {:.3f}s) = {:.3f}s\n",
             b->load_s, b->apply_s, b->snapshot_s, b->cluster_s, b->write_s, b->total_s);
  auto t = Clock::now();
  const int64_t groups = ws.db().QueryInt(
      "SELECT count(*) FROM (SELECT user_id, type, count(*), max(ts), sum(price) FROM events GROUP BY user_id, type)");
  fmt::print("baseline SQL GROUP BY user, type over events (counts, last time, spend only): {:.3f}s ({} groups)\n", SecondsSince(t),
             groups);
  ProfileEvalOptions eo;
  eo.personas = g.out_dir + "/personas.jsonl";
  auto ev = EvaluateProfiles(ws, ctx, eo);
  if (!ev.ok()) throw Error(ev.status());
  fmt::print("planted personas: category precision@3 {:.3f} of a ceiling of {:.3f} (users with >= {} events: {:.3f} of {:.3f}, "
             "{} users), brand {:.3f}, price level accuracy {:.3f}\n",
             ev->planted_category_p3, ev->planted_category_ceiling, eo.planted_min_events, ev->planted_category_p3_active,
             ev->planted_category_ceiling_active, ev->persona_users_active, ev->planted_brand_p3, ev->planted_price_level_acc);
  fmt::print("holdout category@3 precision {:.3f} vs most-popular {:.3f}; brand@3 {:.3f} vs {:.3f}\n",
             ev->model["category@3"].precision, ev->baseline["category@3"].precision, ev->model["brand@3"].precision,
             ev->baseline["brand@3"].precision);
  fmt::print("peak RSS so far {:.0f} MiB\n\n", PeakRssMb());

  // 2. Batch build at scale, in memory.
  fmt::print("== 2. batch build: {} users, {} synthetic events over the shop's {} items, {} threads ==\n", users, events,
             ctx.items->num_items() - 1, threads);
  t = Clock::now();
  std::vector<ProfileEvent> stream = SyntheticEvents(*ctx.items, users, events, 42);
  fmt::print("events generated in {:.2f}s ({:.0f} MiB)\n", SecondsSince(t), stream.size() * sizeof(ProfileEvent) / 1048576.0);
  // Keep the last 1% back for the incremental step, and copies of a few users' events for the
  // naive baseline.
  const size_t held = stream.size() / 100;
  std::vector<ProfileEvent> tail(stream.end() - static_cast<ptrdiff_t>(held), stream.end());
  stream.resize(stream.size() - held);
  ProfileSet set;
  const double cpu0 = CpuSeconds(), sys0 = SystemSeconds();
  t = Clock::now();
  BatchBuild(*ctx.items, std::move(stream), threads, &set);
  const double apply_s = SecondsSince(t);
  t = Clock::now();
  std::vector<Profile> profiles = Snapshot(*ctx.items, set, threads);
  const double snap_s = SecondsSince(t);
  const double cpu_s = CpuSeconds() - cpu0, sys_s = SystemSeconds() - sys0;
  t = Clock::now();
  ClusterModel cm = ClusterProfiles(*ctx.graph, profiles, ClusterOptions{});
  const double clus_s = SecondsSince(t);
  const double total = apply_s + snap_s;
  fmt::print("apply {:.2f}s + finalize/RFM {:.2f}s = {:.2f}s for {} events: {:.2f} M events/s; k-means (k=8) {:.2f}s\n",
             apply_s, snap_s, total, events - held, (events - held) / total / 1e6, clus_s);
  fmt::print("CPU time of apply + finalize: {:.2f}s ({:.2f}s of it in the kernel), i.e. {:.2f}s on {} otherwise idle cores "
             "(load average now {})\n",
             cpu_s, sys_s, cpu_s / threads, threads, LoadAverage());
  fmt::print("extrapolated to 100 M events (linear): {:.1f}s wall as measured, {:.1f}s from CPU time (+ k-means {:.1f}s)\n",
             total * 1e8 / (events - held), cpu_s / threads * 1e8 / (events - held), clus_s);
  fmt::print("peak RSS {:.0f} MiB ({} profiles)\n\n", PeakRssMb(), profiles.size());
  profiles.clear();
  profiles.shrink_to_fit();

  // 3. Incremental update, one thread.
  fmt::print("== 3. incremental update: {} events, single thread ==\n", tail.size());
  // First half untimed per event (throughput), second half timed one by one (latency).
  const size_t half = tail.size() / 2;
  const double inc_cpu0 = CpuSeconds();
  t = Clock::now();
  ApplyIncrementalRun(*ctx.items, std::span<const ProfileEvent>(tail.data(), half), &set);
  const double inc_s = SecondsSince(t);
  const double inc_cpu = CpuSeconds() - inc_cpu0;
  std::vector<double> lat;
  lat.reserve(tail.size() - half);
  for (size_t i = half; i < tail.size(); ++i) {
    const auto a = Clock::now();
    ApplyIncremental(*ctx.items, tail[i], &set);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double p50 = Percentile(lat, 50), p99 = Percentile(lat, 99), p999 = Percentile(lat, 99.9);
  fmt::print("throughput (ApplyIncrementalRun, {} events) {:.2f} M events/s; per event (ApplyIncremental timed one by one, "
             "{} events) p50 {:.3f} µs, p99 {:.3f} µs, p99.9 {:.3f} µs\n",
             half, half / inc_s / 1e6, lat.size(), p50, p99, p999);
  fmt::print("throughput from CPU time ({:.3f}s CPU for {:.3f}s wall): {:.2f} M events/s\n", inc_cpu, inc_s,
             inc_cpu > 0 ? half / inc_cpu / 1e6 : 0.0);
  // Baseline: recompute the user's state from all their events for each new event (what a
  // system without running sums does), on the first 2,000 held-back events.
  std::vector<std::vector<ProfileEvent>> history(users + 1);
  {
    std::vector<uint8_t> want(users + 1, 0);
    for (size_t i = 0; i < tail.size() && i < 2000; ++i) want[tail[i].user] = 1;
    // The naive path needs every past event of those users: regenerate the stream (same seed).
    for (const ProfileEvent& e : SyntheticEvents(*ctx.items, users, events, 42))
      if (want[e.user] && history[e.user].size() < (1u << 20)) history[e.user].push_back(e);
  }
  std::vector<double> naive;
  for (size_t i = 0; i < tail.size() && i < 2000; ++i) {
    const ProfileEvent& e = tail[i];
    const auto a = Clock::now();
    UserState s;
    for (const ProfileEvent& h : history[e.user]) {
      if (h.ts > e.ts) break;
      ApplyEvent(*ctx.items, set.opts, h, ctx.items->CatalogPrice(h.item), s, ctx.items->VariantTags(h.variant));
    }
    naive.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  double naive_sum = 0;
  for (double x : naive) naive_sum += x;
  fmt::print("baseline recompute-from-scratch per event: {:.0f} events/s; p50 {:.2f} µs, p99 {:.2f} µs ({:.0f}x slower)\n",
             naive.size() / (naive_sum / 1e6), Percentile(naive, 50), Percentile(naive, 99),
             (naive_sum / naive.size()) / (inc_s * 1e6 / half));
  fmt::print("peak RSS {:.0f} MiB\n", PeakRssMb());
  return 0;
}

}  // namespace
}  // namespace kgp

int main(int argc, char** argv) {
  try {
    return kgp::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
