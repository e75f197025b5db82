// kgprofile recommend | related | predict-next (docs/recommend.md).
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/demo.h"
#include "common/time.h"
#include "recommend/json.h"
#include "recommend/pipeline.h"

namespace kgp::cli {

using rec::NextPurchaseJson;
using rec::RecContext;
using rec::RecommendationsJson;
using rec::RelatedJson;

// The recommender for a command about one user or one item: the catalogue first, which finds
// them (an unknown id ends the command there), then the engine built for them alone
// (EngineOptions::scope: on a shop of 20 M events, co-visitation rows for the whole catalogue
// were about a fifth of `recommend --user`).
using ScopeOf = std::function<rec::EngineOptions::Scope(const RecContext&)>;
std::unique_ptr<RecContext> LoadRecContext(Workspace& ws, rec::EngineOptions o, const ScopeOf& scope) {
  if (Status s = rec::CheckEngineOptions(o); !s.ok()) throw Error(s);  // a bad option first, as before
  auto rc = rec::LoadRecCatalog(ws);
  if (!rc.ok()) throw Error(rc.status());
  o.scope = scope(**rc);
  if (Status s = rec::LoadRecEngine(ws, **rc, o); !s.ok()) throw Error(s);
  if (!(*rc)->fitted)
    std::cerr << fmt::format("note: no fitted ranker yet, using the prior blend (run: kgprofile recommend {} --fit)\n", ws.dir());
  return std::move(rc).value();
}

void PrintRecommendations(const nlohmann::json& j, const std::string& lang, std::ostream& os, const std::string& indent) {
  for (const auto& r : j["recommendations"]) {
    os << fmt::format("{}{:>6.3f}  {:<12} {}\n", indent, r["score"].get<double>(), r["item"].get<std::string>(),
                      r["title"].get<std::string>());
    if (!r.contains("explanations")) continue;
    for (const auto& x : r["explanations"]) {
      if (lang != "zh") os << indent << "        " << x["en"].get<std::string>() << "\n";
      if (lang != "en") os << indent << "        " << x["zh"].get<std::string>() << "\n";
      if (lang == "both" && !x["path"].get<std::string>().empty()) os << indent << "          " << x["path"].get<std::string>() << "\n";
    }
  }
}

void PrintFitReport(const rec::RecFitReport& r, std::ostream& os) {
  os << fmt::format("fitted on behaviour up to {}, outcomes (carts and purchases) in ({}, {}]\n", FormatTimestamp(r.cut_ts),
                    FormatTimestamp(r.cut_ts), FormatTimestamp(r.as_of));
  os << fmt::format("  ranker: {} examples ({} positive) from {} users with an outcome among their candidates; measured "
                    "on {} other users with an outcome; candidates hold "
                    "{:.1f}% of their outcomes\n",
                    r.examples, r.positives, r.fit_users, r.test_users, 100 * r.candidate_recall);
  os << fmt::format("  {:<40} {:>10} {:>10} {:>10} {:>10}\n", "method", fmt::format("P@{}", r.k), fmt::format("R@{}", r.k),
                    fmt::format("NDCG@{}", r.k), fmt::format("hit@{}", r.k));
  for (const auto& m : r.holdout)
    os << fmt::format("  {:<40} {:>10.4f} {:>10.4f} {:>10.4f} {:>10.4f}\n", m.method, m.at_k.precision, m.at_k.recall,
                      m.at_k.ndcg, m.at_k.hit);
  os << "  ranker weights:";
  for (const auto& [k, v] : r.ranker_weights) os << fmt::format(" {} {:+.2f}", k, v);
  const auto& rel = r.next_reliability;
  os << fmt::format("\n  next purchase: {} examples; held-out AUC {:.3f} (affinity alone {:.3f}), ECE {:.3f}, Brier {:.4f}, "
                    "base rate {:.3f}\n",
                    r.next_examples, rel.auc, r.next_affinity_auc, rel.ece, rel.brier, rel.base_rate);
  os << "  reliability (predicted → observed, n):";
  for (const auto& b : rel.bins)
    if (b.n) os << fmt::format("  {:.2f}→{:.2f} ({})", b.predicted, b.observed, b.n);
  os << fmt::format("\n  {:.1f}s (past embeddings {:.1f}s, candidates {:.1f}s)\n", r.total_s, r.kge_s, r.candidates_s);
}

namespace {
uint32_t FindUser(const RecContext& rc, const std::string& ext) {
  auto u = rc.catalog->FindUser(ext);
  if (!u) throw Error(Status::NotFound(fmt::format("user {}: not in the workspace", ext)));
  return *u;
}

void AddEngineOptions(CLI::App* cmd, rec::EngineOptions& o) {
  cmd->add_option("--per-source", o.per_source, "candidates taken from each generator (1 to 100000)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  cmd->add_option("--max-per-category", o.max_per_category, "at most this many items of one leaf category (0: max(3, k / 2))")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{100000}));
  // The first name sets exclude_purchased, the "!" name clears it (CLI11).
  cmd->add_flag("--exclude-purchased,!--include-purchased", o.exclude_purchased,
                "--exclude-purchased (default): bought, rated or reviewed items are not offered again unless their restock "
                "cycle is due; --include-purchased offers them again");
  cmd->add_flag("--exclude-seen", o.exclude_seen, "drop items the user already viewed");
  cmd->add_option("--cf", o.cf, "collaborative-filtering generator for --fit: a model spec (rp3beta, itemknn:k=50, ...) or none; a fitted workspace serves with the one it was fitted with")
      ->capture_default_str();
}
}  // namespace

std::string DemoRecommend(Workspace& ws, const std::string& user_ext) {
  rec::RecFitOptions fo;
  auto fit = rec::FitRecommender(ws, fo);
  std::string md;
  if (fit.ok()) {
    std::ostringstream report;
    PrintFitReport(*fit, report);
    std::cout << "  " << report.str().substr(0, report.str().find('\n')) << "\n";
    for (const auto& m : fit->holdout)
      std::cout << fmt::format("    {:<40} recall@{} {:.4f}  NDCG@{} {:.4f}\n", m.method, fit->k, m.at_k.recall, fit->k, m.at_k.ndcg);
    std::cout << fmt::format("    next purchase: held-out AUC {:.3f}, ECE {:.3f}\n", fit->next_reliability.auc, fit->next_reliability.ece);
    md = "Fitted with `kgprofile recommend " + ws.dir() + " --fit` (temporal holdout; measured on users not fitted on):\n\n```\n" +
         report.str() + "```\n\n";
  } else if (fit.status().code() == Status::Code::kAborted || fit.status().code() == Status::Code::kNotFound) {
    // Too little data (a small --users/--events): the demo goes on with the prior blend, as
    // `recommend` does on a workspace never fitted, instead of ending without its report.
    std::cout << "  ranker: not fitted, too little data for `recommend --fit` (why: report.md); recommending with the prior blend\n";
    md = "Not fitted: `kgprofile recommend " + ws.dir() + " --fit` refused (" + fit.status().message() +
         "). The recommendations below use the prior blend, the fixed weights `recommend` serves before a fit "
         "(docs/recommend.md); next-purchase probabilities are not calibrated.\n\n";
  } else {
    throw Error(fit.status());
  }
  auto loaded = rec::LoadRecommender(ws, {});  // not LoadRecContext: its note would repeat the above
  if (!loaded.ok()) throw Error(loaded.status());
  std::unique_ptr<RecContext> rc = std::move(loaded).value();
  auto user = rc->catalog->FindUser(user_ext);
  if (!user) return md;
  auto recs = RecommendationsJson(*rc, *user, 5, true);
  std::ostringstream text;
  PrintRecommendations(recs, "both", text, "    ");
  std::cout << fmt::format("  recommendations for user {}:\n", user_ext) << text.str();
  md += fmt::format("Top 5 for user `{}` (`kgprofile recommend {} --user {} -k 5 --explain --lang both`):\n\n```\n{}```\n\n",
                    user_ext, ws.dir(), user_ext, text.str());
  auto next = NextPurchaseJson(*rc, *user, 3);
  md += fmt::format("Next purchases (`kgprofile predict-next`), probability within {:.0f} days:", rc->next.window_days);
  std::cout << "  next purchase:";
  for (const auto& c : next["categories"]) {
    std::string line = fmt::format(" {} {:.0f}%", c["category"].get<std::string>(), 100 * c["probability"].get<double>());
    md += line;
    std::cout << line;
  }
  md += "\n\n";
  std::cout << "\n";
  if (!recs["recommendations"].empty()) {
    const std::string first = recs["recommendations"][0]["item"];
    auto rel = RelatedJson(*rc, *rc->catalog->FindItem(first), 3);
    md += fmt::format("Related to `{}` (`kgprofile related --item {}`):\n\n", first, first);
    std::cout << fmt::format("  related to {}:\n", first);
    for (const auto& r : rel["related"]) {
      std::string line = fmt::format("{} {} ({})", r["item"].get<std::string>(), r["title"].get<std::string>(), r["en"].get<std::string>());
      md += "- " + line + "\n";
      std::cout << "    " << line << "\n";
    }
  }
  return md;
}

void AddRecommendCommands(CLI::App& app, Registry& reg) {
  {
    auto* cmd = app.add_subcommand("recommend", "products for a user, with knowledge-graph explanations; --fit learns the ranker");
    struct Args {
      std::string ws, user, lang = "en";
      size_t k = 20;
      bool explain = false, fit = false, no_past_kge = false;
      rec::RecFitOptions fo;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    auto* user = cmd->add_option("--user", a->user, "user id as ingested, or its stored pseudonym");
    auto* fit = cmd->add_flag("--fit", a->fit, "learn the ranker and the next-purchase model on a temporal holdout, report, save");
    user->excludes(fit);
    auto* k = cmd->add_option("-k", a->k, "recommendations; with --fit, the cut-off the held-out metrics are measured at (default 10)")
                  ->capture_default_str()
                  ->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->add_flag("--explain", a->explain, "explain each item by knowledge-graph paths");
    cmd->add_option("--lang", a->lang, "explanation language: en, zh or both")->check(CLI::IsMember({"en", "zh", "both"}))->capture_default_str();
    cmd->add_option("--holdout-days", a->fo.holdout_days, "--fit: days of outcomes to learn from")
        ->capture_default_str()
        ->check(PositiveFinite());
    cmd->add_option("--threads", a->fo.threads, "--fit: threads")->capture_default_str()->check(CLI::Range(1, 1024));
    cmd->add_flag("--no-past-embeddings", a->no_past_kge, "--fit: do not train embeddings on the past graph (no embedding feature)");
    AddEngineOptions(cmd, a->fo.engine);
    cmd->callback([&reg, a, k] {
      *reg.selected = [&reg, a, k] {
        if (!a->fit && a->user.empty()) throw Error(Status::InvalidArgument("recommend: give --user ID, or --fit"));
        if (a->fit && k->count() && a->k == 0)
          throw Error(Status::InvalidArgument("recommend --fit: -k is the cut-off the metrics are measured at; give 1 or more"));
        auto w = OpenWorkspace(a->ws);
        if (a->fit) {
          if (k->count()) a->fo.k = a->k;  // else RecFitOptions' own default (10)
          a->fo.train_kge = !a->no_past_kge;
          auto r = rec::FitRecommender(*w, a->fo);
          if (!r.ok()) throw Error(r.status());
          Emit(*reg.globals, r->ToJson(), [&] {
            PrintFitReport(*r, std::cout);
            std::cout << "saved " << rec::RecommendModelPath(w->dir()) << "\n";
          });
          return 0;
        }
        const std::string stored = StoredUser(*w, a->user);
        uint32_t u = 0;
        auto rc = LoadRecContext(*w, a->fo.engine, [&](const RecContext& c) {
          u = FindUser(c, stored);
          return rec::EngineOptions::Scope{.users = {u}, .items = {}};
        });
        auto j = RecommendationsJson(*rc, u, a->k, a->explain);
        Emit(*reg.globals, j, [&] { PrintRecommendations(j, a->lang, std::cout, ""); });
        return 0;
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("related", "products related to a product, with reasons");
    struct Args {
      std::string ws, item;
      size_t k = 10;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--item", a->item, "item id (as ingested)")->required();
    cmd->add_option("-k", a->k, "items")->capture_default_str()->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        uint32_t item = 0;
        auto rc = LoadRecContext(*w, {}, [&](const RecContext& c) {
          auto found = c.catalog->FindItem(a->item);
          if (!found) throw Error(Status::NotFound(fmt::format("item {}: not in the workspace", a->item)));
          item = *found;
          return rec::EngineOptions::Scope{.users = {}, .items = {item}};
        });
        auto j = RelatedJson(*rc, item, a->k);
        Emit(*reg.globals, j, [&] {
          for (const auto& r : j["related"])
            std::cout << fmt::format("{:>6.3f}  {:<12} {}\n        {}\n", r["score"].get<double>(), r["item"].get<std::string>(),
                                     r["title"].get<std::string>(), r["en"].get<std::string>());
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("predict-next", "the categories a user will buy in next: calibrated probabilities once `recommend --fit` has run");
    struct Args {
      std::string ws, user;
      size_t k = 5;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--user", a->user, "user id as ingested, or its stored pseudonym")->required();
    cmd->add_option("-k", a->k, "categories")->capture_default_str()->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        const std::string stored = StoredUser(*w, a->user);
        uint32_t user = 0;
        // No co-visitation row at all: the next-purchase model does not read them.
        auto rc = LoadRecContext(*w, {}, [&](const RecContext& c) {
          user = FindUser(c, stored);
          return rec::EngineOptions::Scope{};
        });
        auto j = NextPurchaseJson(*rc, user, a->k);
        Emit(*reg.globals, j, [&] {
          if (!j["calibrated"].get<bool>()) {
            // Without a fit the score is the user's affinity share, not a probability.
            std::cout << fmt::format("user {}: categories by affinity (not probabilities: run `kgprofile recommend {} --fit` "
                                     "to learn P(buying within {:.0f} days))\n", a->user, a->ws, rc->next.window_days);
            for (const auto& c : j["categories"])
              std::cout << fmt::format("  {:<36} {:>6.3f}\n", c["category"].get<std::string>(), c["probability"].get<double>());
            return;
          }
          std::cout << fmt::format("user {}: probability of buying within {:.0f} days\n", a->user, rc->next.window_days);
          for (const auto& c : j["categories"])
            std::cout << fmt::format("  {:<36} {:>6.1f}%\n", c["category"].get<std::string>(), 100 * c["probability"].get<double>());
        });
        return 0;
      };
    });
  }
}

}  // namespace kgp::cli
