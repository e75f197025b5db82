// Live recommendations replay (make eval, scripts/eval-rec.sh): what reading a user's posted
// events (the service's, rec::Engine::Candidates `since`) is worth against the history alone.
// The engine is built from the workspace's events up to a cut (the last DAYS days held out);
// each cart or purchase after the cut (and rating, with --rate) that is not the user's first
// event past it is predicted from the user's earlier events past the cut, read as posted,
// against the same engine without them (what `serve` answered before: the events stored at its
// start). Prints hit@10 both ways (and for users unknown to the history), how many times an item
// the user had bought (or rated, with --rate) past the cut is among the ten, the recommendation
// latency percentiles and peak RSS. Uses the workspace's fitted ranker when it has one (fitted on every event: the held-out
// days are then not unseen by it), else the prior blend. Exits 1 when the posted events do
// worse than the history alone.
//
//   kgprofile_bench_rec_live WORKSPACE [DAYS (7)] [--rate]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/progress.h"
#include "common/strings.h"
#include "recommend/pipeline.h"
#include "store/workspace.h"

namespace kgp::rec {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

struct Arm {
  size_t hits = 0, new_user_hits = 0, owned_again = 0;
  std::vector<double> ms;
};

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s WORKSPACE [DAYS] [--rate]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  double days = 7;
  bool rate = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rate") == 0) {
      rate = true;
    } else if (auto d = ParseDouble(argv[i]); d && *d > 0) {
      days = *d;
    } else {
      std::fprintf(stderr, "%s: '%s': expected DAYS (a positive number) or --rate\n", argv[0], argv[i]);
      return 2;
    }
  }
  auto ws = Workspace::Open(dir);
  if (!ws.ok()) {
    std::fprintf(stderr, "%s\n", ws.status().ToString().c_str());
    return 2;
  }
  auto in = LoadRecInputs(**ws);
  if (!in.ok()) {
    std::fprintf(stderr, "%s\n", in.status().ToString().c_str());
    return 2;
  }
  std::vector<ProfileEvent>& events = in->events;
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
  const int64_t cut = events.back().ts - static_cast<int64_t>(days * 86400);
  EngineOptions eo;
  Engine engine(*in->profile.graph, *in->profile.items, *in->catalog, History::Build(events, cut, *in->profile.items, eo.history),
                nullptr, eo);
  std::string ranker = "prior blend";
  const std::string model = RecommendModelPath(dir);
  if (std::filesystem::exists(model)) {
    try {
      std::ifstream f(model);
      auto r = Logistic::FromJson(nlohmann::json::parse(f).at("ranker"), kNumFeatures);
      if (r.ok()) {
        engine.SetRanker(std::move(*r));
        ranker = "fitted (" + model + ", on every event)";
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: not used: %s\n", model.c_str(), e.what());
    }
  }
  std::map<uint32_t, std::vector<ProfileEvent>> after;
  size_t before = 0;
  for (const ProfileEvent& e : events) {
    if (e.ts > cut) after[e.user].push_back(e);
    else ++before;
  }
  Arm posted, alone;
  size_t targets = 0, new_user_targets = 0, new_users = 0;
  const auto has = [](const std::vector<Recommendation>& recs, uint32_t item) {
    return std::any_of(recs.begin(), recs.end(), [&](const Recommendation& r) { return r.item == item; });
  };
  for (const auto& [user, v] : after) {
    const bool known = !engine.history().Of(user).empty();
    new_users += !known;
    const uint32_t asked = known ? user : kNewUser;
    for (size_t i = 1; i < v.size(); ++i) {
      const EventType t = v[i].type;
      if (t != EventType::kCart && t != EventType::kPurchase && !(rate && t == EventType::kRate)) continue;
      ++targets;
      new_user_targets += !known;
      for (Arm* arm : {&posted, &alone}) {
        const std::span<const ProfileEvent> since = arm == &posted ? std::span(v.data(), i) : std::span<const ProfileEvent>();
        const auto t0 = std::chrono::steady_clock::now();
        const auto recs = engine.Recommend(asked, 10, since);
        arm->ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        const bool hit = has(recs, v[i].item);
        arm->hits += hit;
        arm->new_user_hits += hit && !known;
        for (size_t j = 0; j < i; ++j) {
          const bool owned = v[j].type == EventType::kPurchase || (rate && v[j].type == EventType::kRate);
          arm->owned_again += owned && has(recs, v[j].item);
        }
      }
    }
  }
  if (targets == 0) {
    std::fprintf(stderr, "%s: no cart or purchase%s after the cut: nothing to replay\n", dir.c_str(), rate ? " or rating" : "");
    return 2;
  }
  const auto share = [](size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  std::printf("live recommendations replay: %s, engine as of the last %g days' start (%zu events before, %zu after, by %zu "
              "users, %zu of them unknown to the history); ranker: %s\n",
              dir.c_str(), days, before, events.size() - before, after.size(), new_users, ranker.c_str());
  std::printf("targets: %zu (next %s, each after the user's first event past the cut), %zu of them by unknown users\n",
              targets, rate ? "cart, purchase or rating" : "cart or purchase", new_user_targets);
  std::printf("  %-34s %8s %16s %16s %26s\n", "", "hit@10", "unknown users", rate ? "owned offered" : "bought offered",
              "latency ms p50/p90/p99");
  for (const auto& [name, arm] : {std::pair<const char*, const Arm*>{"posted events read (serve now)", &posted},
                                  {"history alone (baseline)", &alone}})
    std::printf("  %-34s %8.4f %16.4f %16zu %12.3f/%.3f/%.3f\n", name, share(arm->hits, targets),
                share(arm->new_user_hits, new_user_targets), arm->owned_again, Percentile(arm->ms, 50),
                Percentile(arm->ms, 90), Percentile(arm->ms, 99));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS %.1f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  return posted.hits >= alone.hits ? 0 : 1;
}

}  // namespace
}  // namespace kgp::rec

int main(int argc, char** argv) {
  kgp::Progress::SetEnabled(false);
  kgp::SetLogLevel(kgp::LogLevel::kWarn);
  return kgp::rec::Run(argc, argv);
}
