// kgprofile profile eval: holdout accuracy vs popularity, planted truth, completeness, timeliness.
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/time.h"
#include "profile/eval.h"

namespace kgp::cli {
namespace {

// Every figure to 4 places (null for none); JSON objects keep the report's order (the cut-offs
// by k, the activity buckets lightest first), not their keys' string order.
using Json = nlohmann::ordered_json;
Json Num(double x) { return std::isnan(x) ? Json(nullptr) : Json(std::round(x * 10000) / 10000); }

}  // namespace

void AddProfileEvalCommand(CLI::App* profile, Registry& reg) {
  auto* cmd = profile->add_subcommand("eval", "profile quality: temporal holdout vs most-popular, planted personas, completeness, timeliness");
  struct Args {
    std::string ws;
    ProfileEvalOptions o;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
  // Checked as `profile build` checks its options: a negative k used to wrap around (brand@-3),
  // a half-life of 0 or below ran on nonsense weights.
  cmd->add_option("--holdout-days", a->o.holdout_days, "predict behaviour in the last N days from the profiles before them")
      ->capture_default_str()
      ->check(PositiveFinite());
  cmd->add_option("--k", a->o.ks, "cut-offs for precision/recall/NDCG")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--personas", a->o.personas, "personas.jsonl from `kgprofile generate` (planted-truth recovery)");
  cmd->add_option("--planted-min-events", a->o.planted_min_events, "also report planted recovery over users with this many events")
      ->capture_default_str()->check(Unsigned());
  cmd->add_option("--half-life", a->o.profile.half_life_days, "interest half-life in days")
      ->capture_default_str()
      ->check(PositiveFinite());
  cmd->add_option("--min-tags", a->o.profile.min_tags, "completeness: count users with at least this many tags")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--threads", a->o.threads, "threads")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      auto w = OpenWorkspace(a->ws);
      auto ctx = LoadProfileContext(*w);
      if (!ctx.ok()) throw Error(ctx.status());
      auto r = EvaluateProfiles(*w, *ctx, a->o);
      if (!r.ok()) throw Error(r.status());
      Json holdout = {{"split", FormatTimestamp(r->split_ts)}, {"train_events", r->train_events},
                                {"test_events", r->test_events}, {"users", r->holdout_users}};
      for (const auto& key : r->keys) {
        const RankScores &s = r->model[key], &b = r->baseline[key];
        holdout[key] = {{"model", {{"precision", Num(s.precision)}, {"recall", Num(s.recall)}, {"ndcg", Num(s.ndcg)}}},
                        {"popular", {{"precision", Num(b.precision)}, {"recall", Num(b.recall)}, {"ndcg", Num(b.ndcg)}}}};
      }
      Json j = {
          {"holdout", holdout},
          {"completeness", {{"users", r->users}, {"fill_rate", Num(r->fill_rate)}, {"min_tags", r->min_tags},
                            {"share_with_min_tags", Num(r->share_min_tags)}}},
          {"timeliness", {{"staleness_days_p50", Num(r->staleness_p50_days)}, {"staleness_days_p90", Num(r->staleness_p90_days)},
                          {"update_latency_us_p50", Num(r->latency_p50_us)}, {"update_latency_us_p99", Num(r->latency_p99_us)},
                          {"update_events_per_s", Num(r->events_per_s)}, {"train_build_seconds", Num(r->build_s)}}}};
      if (r->persona_users > 0) {
        j["planted"] = {{"users", r->persona_users}, {"category_precision_at_3", Num(r->planted_category_p3)},
                        {"category_ceiling_at_3", Num(r->planted_category_ceiling)},
                        {"brand_precision_at_3", Num(r->planted_brand_p3)}, {"price_level_accuracy", Num(r->planted_price_level_acc)},
                        {"lifecycle_accuracy", Num(r->planted_lifecycle_acc)}, {"active_hour_hit", Num(r->planted_active_hour_hit)},
                        {"active_users", r->persona_users_active}, {"active_min_events", a->o.planted_min_events},
                        {"active_category_precision_at_3", Num(r->planted_category_p3_active)},
                        {"active_category_ceiling_at_3", Num(r->planted_category_ceiling_active)},
                        {"active_brand_precision_at_3", Num(r->planted_brand_p3_active)},
                        {"lifecycle_confusion", r->lifecycle_confusion}};
        for (const auto& b : r->planted_by_events)
          j["planted"]["by_events"][b.events] = {{"users", b.users}, {"category_precision_at_3", Num(b.p3)},
                                                 {"category_ceiling_at_3", Num(b.ceiling)}};
      }
      Emit(*reg.globals, j, [&] {
        std::cout << fmt::format("holdout: profiles as of {} ({} events) predict the next {} days ({} events, {} users)\n",
                                 FormatTimestamp(r->split_ts), r->train_events, a->o.holdout_days, r->test_events, r->holdout_users);
        if (r->model.empty())
          std::cout << "  nothing to score: no holdout event is on an item with a category or brand (no catalogue loaded?)\n";
        else
          std::cout << fmt::format("  {:<12} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}\n", "", "P model", "R model", "NDCG",
                                   "P popular", "R popular", "NDCG");
        for (const auto& key : r->keys) {
          const RankScores &s = r->model[key], &b = r->baseline[key];
          std::cout << fmt::format("  {:<12} {:>9.3f} {:>9.3f} {:>9.3f}   {:>9.3f} {:>9.3f} {:>9.3f}\n", key, s.precision, s.recall,
                                   s.ndcg, b.precision, b.recall, b.ndcg);
        }
        if (r->persona_users > 0)
          std::cout << fmt::format("planted ({} users): category P@3 {} (ceiling {})  brand P@3 {}  price level {}  lifecycle {}  "
                                   "active hour {}\n",
                                   r->persona_users, Fixed3(r->planted_category_p3), Fixed3(r->planted_category_ceiling),
                                   Fixed3(r->planted_brand_p3),
                                   Fixed3(r->planted_price_level_acc), Fixed3(r->planted_lifecycle_acc), Fixed3(r->planted_active_hour_hit));
        if (r->persona_users_active > 0)
          std::cout << fmt::format("  users with >= {} events ({}): category P@3 {} (ceiling {})  brand P@3 {}\n",
                                   a->o.planted_min_events, r->persona_users_active, Fixed3(r->planted_category_p3_active),
                                   Fixed3(r->planted_category_ceiling_active), Fixed3(r->planted_brand_p3_active));
        for (const auto& b : r->planted_by_events)
          std::cout << fmt::format("    users with {:>7} events ({:>5}): category P@3 {:.3f} (ceiling {:.3f})\n", b.events, b.users,
                                   b.p3, b.ceiling);
        if (r->persona_users > 0)
          std::cout << "  (ceiling: favourites among the categories a user touched at all, the most any ranking of their tags "
                       "can find)\n";
        std::cout << fmt::format("completeness ({} users): fill rate {:.3f}, {:.1f}% with >= {} tags\n", r->users, r->fill_rate,
                                 100 * r->share_min_tags, r->min_tags);
        std::cout << fmt::format("timeliness: staleness at T p50 {:.1f} d, p90 {:.1f} d; per-event update p50 {:.2f} µs, p99 {:.2f} µs "
                                 "({:.0f} events/s); training build {:.2f}s\n",
                                 r->staleness_p50_days, r->staleness_p90_days, r->latency_p50_us, r->latency_p99_us,
                                 r->events_per_s, r->build_s);
      });
      return 0;
    };
  });
}

}  // namespace kgp::cli
