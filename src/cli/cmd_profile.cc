// kgprofile profile build | show | export | update | eval, and kgprofile audience.
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/log.h"
#include "common/time.h"
#include "ingest/ingest.h"
#include "privacy/budget.h"
#include "privacy/dp_query.h"
#include "profile/eval.h"
#include "service/event_merger.h"
#include "profile/embedding.h"
#include "profile/pipeline.h"
#include "profile/rule.h"
#include "profile/store.h"
#include "store/commit_lock.h"

namespace kgp::cli {
namespace {

ProfileContext LoadContext(Workspace& ws, const GraphLoadOptions& graph = {}) {
  auto ctx = LoadProfileContext(ws, graph);
  if (!ctx.ok()) throw Error(ctx.status());
  return std::move(ctx).value();
}

void AddProfileOptions(CLI::App* cmd, ProfileOptions& o) {
  cmd->add_option("--half-life", o.half_life_days, "days after which an event's interest weight halves")
      ->capture_default_str()
      ->check(PositiveFinite());
  cmd->add_option("--session-gap", o.session_gap_s, "seconds of inactivity that end a session")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{366} * 86400));
  cmd->add_option("--new-days", o.new_days, "lifecycle: first event within this many days is 'new'")
      ->capture_default_str()
      ->check(PositiveFinite());
  cmd->add_option("--dormant-days", o.dormant_days, "lifecycle: idle this many days is 'dormant'")
      ->capture_default_str()
      ->check(PositiveFinite());
  cmd->add_option("--churn-days", o.churn_days, "lifecycle: idle this many days is 'churned'")
      ->capture_default_str()
      ->check(PositiveFinite());
}

// A number as --json shows it and the profile tables store it (RoundTo the same digits:
// profile.h kShareDigits, …), so that a number copied into an audience rule compares equal. Shares
// are printed as shares (0.5469), the numbers rules take, not as percentages.
std::string Num(double x, int digits) {
  return std::isnan(x) ? "-" : fmt::format("{:.{}f}", RoundTo(x, digits) + 0.0, digits);  // + 0.0: no "-0.0000"
}
std::string Share(double x) { return Num(x, kShareDigits); }

void PrintProfile(const Graph& g, const Profile& p, const std::string& cluster_label, size_t tags) {
  std::cout << fmt::format("user {}  (as of {}, {} events)\n", p.ext_id, FormatTimestamp(p.as_of), p.events);
  std::cout << fmt::format("  demographics  gender {}  age {}  occupation {}  city {}\n", p.gender.empty() ? "-" : p.gender,
                           p.age_group.empty() ? "-" : p.age_group, p.occupation.empty() ? "-" : p.occupation,
                           p.city.empty() ? "-" : p.city);
  auto user_node = g.Find(NodeType::kUser, p.ext_id);
  for (int k = 0; k < kNumTagKinds; ++k) {
    const auto& list = p.interests[k];
    if (list.empty() || tags == 0) continue;
    std::cout << fmt::format("  {}:\n", TagKindPlural(static_cast<TagKind>(k)));
    for (size_t i = 0; i < list.size() && i < tags; ++i) {
      std::cout << fmt::format("    {:<34} {:>6}  conf {}  {} events\n", g.key(list[i].tag), Share(list[i].weight),
                               Num(list[i].confidence, kScoreDigits), list[i].evidence);
      if (i == 0 && user_node) {
        std::string path = EvidencePath(g, *user_node, list[i].tag);
        if (!path.empty()) std::cout << "      because " << path << "\n";
      }
    }
  }
  std::cout << fmt::format("  preferences   price {} (position {})  sensitivity {}  discount response {}\n",
                           p.price_level.empty() ? "-" : p.price_level, Share(p.price_position), Share(p.price_sensitivity),
                           Share(p.discount_response));
  std::cout << fmt::format("                brand top share {}  entropy {}  novelty {}  repeat rate {}\n",
                           Share(p.brand_top_share), Share(p.brand_entropy), Share(p.novelty), Share(p.repeat_rate));
  std::cout << fmt::format("  behaviour     RFM {}{}{} '{}'  recency {} d  {} purchases  monetary {}\n", p.r_score,
                           p.f_score, p.m_score, p.rfm_segment, Num(p.recency_days, kDaysMoneyDigits), p.purchases,
                           Num(p.monetary, kDaysMoneyDigits));
  std::string hours;
  for (int h : p.peak_hours) hours += fmt::format("{}{:02d}h", hours.empty() ? "" : " ", h);
  std::cout << fmt::format("                {} sessions, {} min and {} events each; peak hours (UTC) {}\n", p.sessions,
                           Num(p.session_minutes, kDaysMoneyDigits), Num(p.session_depth, kDaysMoneyDigits),
                           hours.empty() ? "-" : hours);
  std::cout << fmt::format("                funnel view→cart {}  cart→purchase {}  view→purchase {}\n", Share(p.view_to_cart),
                           Share(p.cart_to_purchase), Share(p.view_to_purchase));
  for (auto& [c, d] : p.repurchase_days)
    std::cout << fmt::format("                repurchases {} every {} days\n", g.key(c), Num(d, kDaysMoneyDigits));
  std::cout << fmt::format("  lifecycle     {}  churn risk {}\n", p.lifecycle, Num(p.churn_risk, kScoreDigits));
  if (p.cluster >= 0) std::cout << fmt::format("  cluster       {} \"{}\"\n", p.cluster, cluster_label);
}

}  // namespace

void AddProfileCommands(CLI::App& app, Registry& reg) {
  auto* profile = app.add_subcommand("profile", "build, show, export, update and evaluate user profiles");
  profile->require_subcommand(1);
  {
    auto* cmd = profile->add_subcommand("build", "build every user's profile from the events and the knowledge graph");
    struct Args {
      std::string ws;
      ProfileOptions o;
      ClusterOptions c;
      int threads = 2;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    AddProfileOptions(cmd, a->o);
    cmd->add_option("--clusters", a->c.k, "k-means clusters (updates keep this)")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("--threads", a->threads, "threads")->capture_default_str()->check(CLI::Range(1, 1024));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        // The server would save its own state over the build's (options and clusters included).
        auto hold = Unwrap(ServeLock::Share(*w, "profile build", "stop it first (profile update refreshes the tables meanwhile)"));
        Unwrap(service::RecoverStagedEvents(*w));
        ProfileContext ctx = LoadContext(*w);
        auto r = BuildAllProfiles(*w, ctx, a->o, a->c, a->threads);
        if (!r.ok()) throw Error(r.status());
        // Segment sizes are an aggregate: exact (flagged dp: false) unless the workspace sets
        // dp_required, then withheld (`privacy segments` releases them with noise, charging the
        // budget; a build should not spend it unasked).
        const bool withhold = privacy::DpRequired(*w);
        nlohmann::json clusters = nlohmann::json::array();
        for (const auto& c : r->clusters.clusters) {
          clusters.push_back({{"id", c.id}, {"label", c.label}});
          if (!withhold) clusters.back()["size"] = c.size;
        }
        Emit(*reg.globals,
             {{"users", r->users}, {"events", r->events}, {"as_of", FormatTimestamp(r->as_of)},
              {"untagged_events", r->untagged.events}, {"untagged_products", r->untagged.products}, {"clusters", clusters},
              {"cluster_sizes", withhold ? nlohmann::json{{"withheld", true}, {"reason", "dp_required"}}
                                         : privacy::ReleaseInfo{}.Json()},
              {"seconds", {{"load", r->load_s}, {"apply", r->apply_s}, {"snapshot", r->snapshot_s},
                           {"cluster", r->cluster_s}, {"write", r->write_s}, {"total", r->total_s}}}},
             [&] {
               std::cout << fmt::format("profiles built for {} users from {} events (as of {}) in {:.2f}s\n", r->users,
                                        r->events, FormatTimestamp(r->as_of), r->total_s);
               std::cout << fmt::format("  load {:.2f}s, apply {:.2f}s, snapshot {:.2f}s, clusters {:.2f}s, write {:.2f}s\n",
                                        r->load_s, r->apply_s, r->snapshot_s, r->cluster_s, r->write_s);
               for (const auto& c : r->clusters.clusters)
                 std::cout << (withhold ? fmt::format("  cluster {}  {}\n", c.id, c.label)
                                        : fmt::format("  cluster {} {:>7} users  {}\n", c.id, c.size, c.label));
               if (withhold)
                 std::cout << fmt::format("  cluster sizes withheld (dp_required): kgprofile privacy segments {}\n", a->ws);
               if (r->untagged.events > 0)
                 std::cout << fmt::format("  {} the graph does not have yet: built without their category, brand and "
                                          "attribute interests; run kgprofile graph build {} first, then profile build\n",
                                          r->untagged.Describe(), a->ws);
             });
        return 0;
      };
    });
  }
  {
    auto* cmd = profile->add_subcommand("show", "one user's profile (text, or --json)");
    struct Args {
      std::string ws, user;
      size_t tags = 5;
      bool contact = false;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--user", a->user, "user id as ingested, or its stored pseudonym")->required();
    cmd->add_option("--tags", a->tags, "interests shown per kind")->capture_default_str()->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->add_flag("--contact", a->contact,
                  "also show the user's contact fields (CRM view; only in a workspace with store_pii = true)");
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        const std::string stored = StoredUser(*w, a->user);
        ProfileContext ctx = LoadContext(*w, GraphLoadOptions{.users = std::vector<std::string>{stored}});
        auto loaded = LoadProfile(*w, ctx, stored);
        if (!loaded.ok()) throw Error(loaded.status());
        const Profile& p = *loaded;
        auto [cluster_id, label] = ReadCluster(w->db(), p.user);
        auto j = ToJson(*ctx.graph, p, a->tags, 3);
        j["segments"]["cluster_label"] = label;
        auto emb = Unwrap(UserEmbeddings::Load(w->dir()));
        if (emb) j["embedding"] = emb->Json("user:" + p.ext_id);
        std::vector<std::pair<std::string, std::string>> contact;
        if (a->contact) {
          if (!w->StorePii())
            throw Error(Status::InvalidArgument(fmt::format(
                "{}: this workspace does not store contact fields (store_pii = false in kgprofile.conf; docs/privacy.md)", a->ws)));
          Stmt st = w->db().Prepare("SELECT field, value FROM user_pii WHERE user_id = ? ORDER BY field");
          st.Bind(1, static_cast<int64_t>(p.user));
          while (st.Step()) contact.emplace_back(std::string(st.Text(0)), std::string(st.Text(1)));
          j["contact"] = nlohmann::ordered_json::object();
          for (const auto& [f, v] : contact) j["contact"][f] = v;
        }
        Emit(*reg.globals, j, [&] {
          PrintProfile(*ctx.graph, p, label, a->tags);
          if (a->contact) {
            std::cout << "contact:";
            for (const auto& [f, v] : contact) std::cout << fmt::format(" {} {};", f, v);
            std::cout << (contact.empty() ? " none stored\n" : "\n");
          }
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = profile->add_subcommand("export", "every profile as JSON Lines");
    struct Args {
      std::string ws, out;
      size_t tags = 20;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--out", a->out, "output file (default: stdout)");
    cmd->add_option("--tags", a->tags, "interests per kind")->capture_default_str()->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        (void)reg;
        auto w = OpenWorkspace(a->ws);
        // Into a file (maybe under WORKSPACE/export): read and written under the commit lock, as
        // `export`; to stdout no lock is held (a slow reader would hold up erasures).
        std::optional<CommitLock> commit;
        if (!a->out.empty()) commit.emplace(Unwrap(CommitLock::Acquire(*w, "profile export")));
        ProfileContext ctx = LoadContext(*w);
        auto profiles = LoadProfiles(*w, ctx);
        if (!profiles.ok()) throw Error(profiles.status());
        std::ofstream file;
        if (!a->out.empty()) {
          file.open(a->out);
          if (!file) throw Error(Status::IoError(fmt::format("{}: cannot write", a->out)));
        }
        std::ostream& os = a->out.empty() ? std::cout : file;
        auto emb = Unwrap(UserEmbeddings::Load(w->dir()));
        for (const Profile& p : *profiles) {
          auto j = ToJson(*ctx.graph, p, a->tags, 1);
          if (emb) j["embedding"] = emb->Json("user:" + p.ext_id);
          os << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        }
        if (!a->out.empty()) std::cerr << fmt::format("{} profiles written to {}\n", profiles->size(), a->out);
        return 0;
      };
    });
  }
  {
    auto* cmd = profile->add_subcommand("update", "ingest new event files (optional) and apply their events one at a time");
    struct Args {
      std::string ws, format, encoding;
      std::vector<std::string> files;
      std::optional<int> clusters;
      bool force = false;
      bool allow_untagged = false;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("FILES", a->files, "event files to ingest first (else: events ingested since the last build/update)");
    cmd->add_flag("--allow-untagged", a->allow_untagged,
                  "apply events on products the graph does not have yet (refused otherwise: they would never add "
                  "their category, brand and attribute interests; run graph build first)");
    cmd->add_option("--format", a->format, "input format of FILES (default: detect)");
    cmd->add_option("--encoding", a->encoding, "text encoding of FILES when not UTF-8 (GB18030, GBK, LATIN1 …)");
    cmd->add_flag("--force", a->force, "read FILES again even if the same content already landed (as ingest --force)");
    cmd->add_option("--clusters", a->clusters, "k-means clusters (default: as the build, or the last update that set it)")
        ->check(CLI::Range(1, 1000));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        // A running server keeps the state: a plain update refreshes the tables beside it (the
        // state is left to it), --clusters would be lost. Otherwise no server starts meanwhile.
        auto hold = ServeLock::Share(*w, "profile update --clusters", "stop it first");
        if (!hold.ok() && a->clusters) throw Error(hold.status());
        if (a->files.empty() && (a->force || !a->format.empty() || !a->encoding.empty()))
          throw Error(Status::InvalidArgument("profile update: --force, --format and --encoding apply to FILES, and none were given"));
        // Each file is reported as `ingest` reports it (rejected rows, "already ingested"); as
        // there, rejected rows leave the exit status 0.
        IngestOptions io;
        io.format = a->format;
        io.reader.encoding = a->encoding;
        io.force = a->force;
        nlohmann::json ingested = nlohmann::json::array();
        for (const auto& f : a->files) {
          auto reps = Ingest(*w, f, io);
          if (!reps.ok()) throw Error(reps.status());
          for (const IngestReport& r : *reps) {
            ingested.push_back(IngestReportJson(r));
            if (!reg.globals->json) PrintIngestReport(r, io);
          }
        }
        Unwrap(service::RecoverStagedEvents(*w));
        ProfileContext ctx = LoadContext(*w);
        auto r = UpdateProfiles(*w, ctx, a->clusters, a->allow_untagged);
        if (!r.ok()) throw Error(r.status());
        Emit(*reg.globals,
             {{"events", r->events}, {"users_touched", r->users_touched}, {"events_per_s", r->events_per_s},
              {"latency_us", {{"p50", r->p50_us}, {"p99", r->p99_us}, {"max", r->max_us}}},
              {"refresh_seconds", r->refresh_s}, {"as_of", FormatTimestamp(r->as_of)}, {"late_events", r->late_events},
              {"ingested", ingested}, {"untagged_events", r->untagged.events},
              {"untagged_products", r->untagged.products}},
             [&] {
               std::cout << fmt::format("applied {} events to {} users ({:.0f} events/s; per event p50 {:.2f} µs, p99 {:.2f} µs); "
                                        "tables refreshed in {:.2f}s; as of {}\n",
                                        r->events, r->users_touched, r->events_per_s, r->p50_us, r->p99_us, r->refresh_s,
                                        FormatTimestamp(r->as_of));
               if (r->late_events > 0)
                 std::cout << fmt::format("  {} events were older than their user's latest: they joined the open session, so "
                                          "session counts, lengths and lifecycle may differ from a full build (docs/profile.md)\n",
                                          r->late_events);
               if (r->untagged.events > 0)
                 std::cout << fmt::format("  {} the graph does not have yet were applied without their category, brand and "
                                          "attribute interests: run kgprofile graph build {}, then profile build\n",
                                          r->untagged.Describe(), a->ws);
             });
        return 0;
      };
    });
  }
  AddProfileEvalCommand(profile, reg);
}

void AddAudienceCommand(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand("audience", "users matching a rule over profile tags and metrics");
  struct Args {
    std::string ws, rule, dp_mechanism;
    size_t limit = 100;
    double dp_epsilon = 0;
    bool dp = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
  cmd->add_option("--rule", a->rule, "e.g. \"interest('electronics.smartphone') > 0.5 and price_level = 'high'\"")->required();
  cmd->add_option("--limit", a->limit, "ids printed at most (0: the count alone)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1} << 40));
  cmd->add_option("--dp-epsilon", a->dp_epsilon,
                  "release only the count, differentially private at this epsilon (charged to the workspace budget)")
      ->check(PositiveFinite());
  cmd->add_flag("--dp", a->dp, "as --dp-epsilon with the workspace's dp_epsilon setting");
  cmd->add_option("--dp-mechanism", a->dp_mechanism, "laplace or gaussian (default: the workspace's dp_mechanism)");
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      auto w = OpenWorkspace(a->ws);
      const bool dp = a->dp || a->dp_epsilon > 0 || privacy::DpRequired(*w);
      // A mechanism asked for without DP would silently release the exact count and the ids.
      if (!dp && !a->dp_mechanism.empty())
        throw Error(Status::InvalidArgument("audience: --dp-mechanism needs --dp or --dp-epsilon E (without them the "
                                            "count is exact and the ids are printed)"));
      // A DP count comes without ids: the ids would give the exact count away.
      if (dp) {
        privacy::DpOptions o;
        o.epsilon = a->dp_epsilon > 0 ? a->dp_epsilon : -1;
        o.mechanism = a->dp_mechanism;
        auto r = Unwrap(privacy::DpCountAudience(*w, a->rule, o));
        nlohmann::json j = r.release.Json();
        j["count"] = r.count;
        Emit(*reg.globals, j, [&] {
          std::cout << fmt::format("about {} users match (differentially private: epsilon {}, {} noise of scale {:.3g})\n",
                                   r.count, r.release.epsilon, r.release.mechanism, r.release.noise_scale);
        });
        return 0;
      }
      auto r = SelectAudience(w->db(), a->rule, a->limit);
      if (!r.ok()) throw Error(r.status());
      for (const auto& warning : r->warnings) LOG_WRN("audience: {}", warning);
      Emit(*reg.globals, {{"count", r->count}, {"user_ids", r->user_ids}, {"dp", false}, {"epsilon", nullptr},
                          {"warnings", r->warnings}}, [&] {
        for (const auto& id : r->user_ids) std::cout << id << "\n";
        std::cout << fmt::format("{} users match{}; exact count, not differentially private (--dp-epsilon E for DP)\n",
                                 r->count,
                                 r->count > r->user_ids.size() ? fmt::format(" (first {} shown)", r->user_ids.size()) : "");
      });
      return 0;
    };
  });
}

}  // namespace kgp::cli
