// Profile quality (docs/profile.md "Quality"): temporal holdout accuracy against a
// most-popular baseline, recovery of planted personas on generated data, completeness and
// timeliness. Everything is computed in one run from the workspace's events.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "profile/pipeline.h"

namespace kgp {

struct ProfileEvalOptions {
  ProfileOptions profile;
  double holdout_days = 14;  // T = latest event − holdout_days; predict behaviour in (T, latest]
  std::vector<int> ks = {3, 5, 10};
  std::string personas;      // personas.jsonl of `kgprofile generate`; empty: no planted check
  uint32_t planted_min_events = 100;  // also report planted precision over users this active
  int threads = 2;
};

struct RankScores {
  double precision = 0, recall = 0, ndcg = 0;
};

struct ProfileEvalReport {
  // Holdout.
  int64_t split_ts = 0;
  size_t train_events = 0, test_events = 0, holdout_users = 0;
  // "category@3" → scores; model (profile interests) and baseline (most popular in training).
  std::map<std::string, RankScores> model, baseline;
  // Their keys in report order: category@k by k, then brand@k by k (the map's order put
  // brand@10 before brand@3).
  std::vector<std::string> keys;
  // Planted truth (generated data with personas.jsonl): precision@3 = hits / min(3, |truth|),
  // averaged over the personas with at least one favourite category (brand) known to the graph;
  // NaN when there is none. persona_users counts every persona matched to a profiled user.
  size_t persona_users = 0;
  double planted_category_p3 = NAN, planted_brand_p3 = NAN, planted_price_level_acc = NAN;
  double planted_lifecycle_acc = NAN, planted_active_hour_hit = NAN;
  // The same over users with at least planted_min_events events (recovery needs evidence).
  size_t persona_users_active = 0;
  double planted_category_p3_active = NAN, planted_brand_p3_active = NAN;
  // What any ranking of the user's own tags could reach: favourites among the categories the
  // user touched at all (capped at 3) / min(3, |truth|). Light users never show some favourites.
  double planted_category_ceiling = NAN, planted_category_ceiling_active = NAN;
  // Category P@3 and its ceiling by the user's events, lightest first: "<25", "25-49", "50-99",
  // "100-199", ">=200" (buckets without users are left out).
  struct PlantedBucket {
    std::string events;  // the bucket's name
    size_t users = 0;    // personas with a known favourite category
    double p3 = 0, ceiling = 0;  // means over the bucket's users
  };
  std::vector<PlantedBucket> planted_by_events;
  std::map<std::string, std::map<std::string, size_t>> lifecycle_confusion;  // truth → predicted → users
  // Completeness over all users with events.
  size_t users = 0;
  double fill_rate = 0;        // importance-weighted share of filled fields
  double share_min_tags = 0;   // users with ≥ min_tags interests of weight ≥ 0.01
  int min_tags = 0;
  // Timeliness: the holdout events applied one at a time to the profiles as of T.
  double staleness_p50_days = 0, staleness_p90_days = 0;  // as-of − user's last event, at T
  double latency_p50_us = 0, latency_p99_us = 0, events_per_s = 0;
  double build_s = 0;  // batch build of the training window
};

Result<ProfileEvalReport> EvaluateProfiles(Workspace& ws, ProfileContext& ctx, const ProfileEvalOptions& opts);

}  // namespace kgp
