// kgprofile generate | demo
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/demo.h"
#include "common/log.h"
#include "common/out_file.h"
#include "common/time.h"
#include "graph/builder.h"
#include "graph/export.h"
#include "graph/graph.h"
#include "graph/paths.h"
#include "graph/stats.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "cli/text_demo.h"
#include "profile/eval.h"
#include "profile/embedding.h"
#include "profile/pipeline.h"

namespace kgp::cli {
namespace fs = std::filesystem;

namespace {
// One line per profile for the demo: top leaf categories and brands, price level, RFM segment, lifecycle.
std::string ProfileLine(const ItemIndex& items, const Profile& p, const std::string& cluster) {
  const Graph& g = items.graph();
  auto top = [&](TagKind k, size_t n) {
    std::string out;
    const auto& v = p.interests[static_cast<int>(k)];
    for (size_t i = 0, shown = 0; i < v.size() && shown < n; ++i) {
      if (k == TagKind::kCategory && !items.IsLeafCategory(v[i].tag)) continue;
      out += fmt::format("{}{} {:.2f}", out.empty() ? "" : ", ", g.key(v[i].tag), v[i].weight);
      ++shown;
    }
    return out.empty() ? std::string("-") : out;
  };
  return fmt::format("user {} ({} events): {} | brands {} | price {} | {} | {} | cluster \"{}\"", p.ext_id, p.events,
                     top(TagKind::kCategory, 2), top(TagKind::kBrand, 2), p.price_level.empty() ? "-" : p.price_level,
                     p.rfm_segment, p.lifecycle, cluster);
}

// The file by which `demo` knows a workspace as its own, to replace on its next run.
constexpr const char* kDemoMarker = "kgprofile-demo";

// Refuses to replace `wsdir` unless it is absent or empty, or a workspace an earlier demo wrote:
// one with the marker, or (demos before the marker) one beside that demo's report.md. The demo
// deleted OUT/workspace whatever it held.
Status CheckDemoWorkspace(const fs::path& out, const fs::path& wsdir) {
  std::error_code ec;
  const auto st = fs::symlink_status(wsdir, ec);
  if (!fs::exists(st)) return Status::Ok();
  if (fs::is_directory(st) && fs::is_empty(wsdir, ec) && !ec) return Status::Ok();
  const bool workspace = fs::is_directory(st) && fs::is_regular_file(wsdir / kDbFile, ec) &&
                         fs::is_regular_file(wsdir / kConfigFile, ec);
  std::string first_line;
  if (std::ifstream in(out / "report.md"); in) std::getline(in, first_line);
  if (workspace && (fs::is_regular_file(wsdir / kDemoMarker, ec) || first_line == "# kgprofile demo report"))
    return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{}: exists and is not a workspace that kgprofile demo wrote; the demo replaces only its own output (move it away "
      "or choose another --out)",
      wsdir.string()));
}

void AddGeneratorOptions(CLI::App* cmd, GeneratorOptions& o, std::string& start) {
  cmd->add_option("--seed", o.seed, "random seed (same seed, same files)")->capture_default_str()->check(Unsigned());
  cmd->add_option("--users", o.users, "users")->capture_default_str()->check(Unsigned());
  cmd->add_option("--events", o.events, "behaviour events (REES46 rows), from --users up to 10,000,000,000")
      ->capture_default_str()->check(Unsigned());
  cmd->add_option("--products", o.products, "products")->capture_default_str()->check(Unsigned());
  cmd->add_option("--brands", o.brands, "brands")->capture_default_str()->check(Unsigned());
  cmd->add_option("--review-rate", o.review_rate, "share of purchases reviewed")->capture_default_str();
  cmd->add_option("--days", o.days, "days of activity")->capture_default_str();
  cmd->add_option("--start", start,
                  "first day (YYYY-MM-DD, UTC); default 2026-01-01, or on a clock before that sample's end the day "
                  "that ends the sample a day before the clock (ingest refuses events more than a day ahead of it)")
      ->check(CLI::Validator([](std::string& v) {
                return ParseTimestamp(v) ? std::string() : fmt::format("must be a date YYYY-MM-DD from 1970, not '{}'", v);
              }, "DATE"));
}

// This machine's clock, or KGPROFILE_NOW (a date or Unix seconds) where tests set it: read here
// only, for the default --start; ingest's own check reads the real clock.
int64_t GeneratorClock() {
  const char* env = std::getenv("KGPROFILE_NOW");
  if (!env || !*env) return static_cast<int64_t>(std::time(nullptr));
  auto t = ParseTimestamp(env);
  if (!t) throw Error(Status::InvalidArgument(fmt::format("KGPROFILE_NOW: not a date or Unix time: '{}'", env)));
  return *t;
}

// Sets o.start_time from --start, else DefaultStartTime; returns the clock it read. REQUIRES:
// `start` passed the option's check.
int64_t PickStart(GeneratorOptions& o, const std::string& start) {
  const int64_t now = GeneratorClock();
  o.start_time = start.empty() ? DefaultStartTime(o.days, now) : *ParseTimestamp(start);
  return now;
}
}  // namespace

void AddGenerateCommand(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand("generate", "write a synthetic shop (events, catalogue, users, reviews, personas)");
  struct Args {
    GeneratorOptions g;
    std::string start;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("OUT_DIR", a->g.out_dir, "output folder")->required();
  AddGeneratorOptions(cmd, a->g, a->start);
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      GeneratorOptions* o = &a->g;
      ThrowIfError(ValidateGeneratorOptions(*o));  // before the clock warning, which reads --days
      const int64_t now = PickStart(*o, a->start);
      ThrowIfError(ValidateGeneratorOptions(*o));  // --start
      const int64_t end = o->start_time + o->days * 86400;
      if (end > now + 86400)
        LOG_WRN("generate: --start {} with --days {} runs to {}, after this machine's clock: ingest refuses events more "
                "than a day ahead of it", a->start, o->days, FormatTimestamp(end));
      GeneratorSummary s;
      ThrowIfError(Generate(*o, &s));
      Emit(*reg.globals,
           {{"users", s.users}, {"products", s.products}, {"categories", s.categories}, {"brands", s.brands},
            {"events", s.events}, {"purchases", s.purchases}, {"reviews", s.reviews}, {"files", s.files}},
           [&] {
             std::cout << fmt::format("generated {} events ({} purchases) by {} users over {} products, {} reviews:\n",
                                      s.events, s.purchases, s.users, s.products, s.reviews);
             for (const auto& f : s.files) std::cout << "  " << f << "\n";
           });
      return 0;
    };
  });
}

void AddDemoCommand(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand("demo", "the whole pipeline on a generated sample: generate, ingest, graph, export, report");
  struct Args {
    std::string out = "demo-output";
    GeneratorOptions g;
    std::string start;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--out", a->out,
                  "output folder (sample/, workspace/, report.md, profiles.jsonl); a later run replaces what an earlier "
                  "demo wrote there, and refuses a workspace/ it did not write")
      ->capture_default_str()
      ->check(CLI::Validator([](std::string& v) { return v.empty() ? std::string("must name a folder ('.' for the current one), not be empty") : std::string(); },
                             "FOLDER"));
  AddGeneratorOptions(cmd, a->g, a->start);
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      // Step lines go to stderr like other commands' progress, and -q silences them too.
      const auto step = [quiet = reg.globals->quiet](const std::string& line) {
        if (!quiet) std::cerr << line << "\n";
      };
      fs::path out(a->out);
      a->g.out_dir = (out / "sample").string();
      PickStart(a->g, a->start);
      ThrowIfError(ValidateGeneratorOptions(a->g));  // before anything is written
      // The files written last are checked first: a folder in their place failed only after the
      // whole pipeline (and unchecked streams then reported them written).
      const std::string profiles_path = (out / "profiles.jsonl").string();
      const fs::path report = out / "report.md";
      std::error_code ec;
      fs::create_directories(out, ec);
      if (ec) throw Error(Status::IoError(fmt::format("{}: cannot create: {}", out.string(), ec.message())));
      for (const std::string& path : {report.string(), profiles_path}) ThrowIfError(OutFile::CheckReplaceable(path));
      const std::string wsdir = (out / "workspace").string();
      const std::string erasure_dir = (out / "workspace-erasure").string();
      ThrowIfError(CheckDemoWorkspace(out, wsdir));
      ThrowIfError(CheckDemoWorkspace(out, erasure_dir));
      step("[1/9] generating the sample shop in " + a->g.out_dir);
      GeneratorSummary gs;
      ThrowIfError(Generate(a->g, &gs));
      fs::remove_all(wsdir);  // checked above: absent, empty or the demo's own
      auto init = Workspace::Init(wsdir, WorkspaceOptions{});
      if (!init.ok()) throw Error(init.status());
      auto& ws = **init;
      {
        OutFile marker;
        ThrowIfError(marker.Open(ws.Path(kDemoMarker)));
        marker.Write("written by kgprofile demo, which replaces this workspace on its next run into the same --out\n");
        ThrowIfError(marker.Close());
      }
      step("[2/9] ingesting into " + wsdir);
      std::string log;
      for (auto [file, format] : std::vector<std::pair<const char*, const char*>>{
               {"categories.csv", "categories"}, {"brands.csv", "brands"}, {"catalog.csv", "catalog"},
               {"users.csv", "users"}, {"events.csv", "rees46"}, {"reviews.jsonl", "texts"}}) {
        IngestOptions io;
        io.format = format;
        auto reps = Ingest(ws, (fs::path(a->g.out_dir) / file).string(), io);
        if (!reps.ok()) throw Error(reps.status());
        for (const auto& r : *reps) {
          std::string line = fmt::format(
              "{:<14} {:>8} new events, {:>6} users, {:>6} items, {:>4} categories, {:>4} brands, {:>6} texts, {} rejected",
              file, r.counts.events_new, r.counts.users_new, r.counts.items_new, r.counts.categories_new,
              r.counts.brands_new, r.counts.texts_new, r.rejects);
          std::cout << "  " << line << "\n";
          log += "| " + std::string(file) + " | " + format + fmt::format(" | {} | {} | {} | {} | {} |\n",
                 r.counts.events_new, r.counts.users_new, r.counts.items_new, r.counts.texts_new, r.rejects);
          // The sample is the demo's own: a rejected row is a fault (a clock before the sample's
          // dates), and the report would describe data the workspace lacks.
          if (r.rejects > 0) {
            const auto& [why, n] = *r.rejects_by_reason.begin();
            throw Error(Status::Aborted(fmt::format(
                "ingest rejected {} of the {} rows of {} ({} x '{}'{}); the demo stops rather than report on a partial "
                "sample{}",
                r.rejects, r.rejects + r.records, (fs::path(a->g.out_dir) / file).string(), n, why,
                r.rejects_by_reason.size() > 1 ? ", …" : "", r.rejects_file.empty() ? "" : "; all of them: " + r.rejects_file)));
          }
        }
      }
      step("[3/9] text extract: entities, relations and aspect sentiment from titles and reviews");
      std::string text_md = RunDemoTextStep(ws);
      step("[4/9] building the knowledge graph");
      GraphBuildReport br;
      ThrowIfError(BuildGraph(ws.db(), GraphBuildOptions{}, &br));
      auto gl = Graph::Load(ws.db());
      if (!gl.ok()) throw Error(gl.status());
      Graph& g = *gl;
      GraphStats st = ComputeStats(g);
      const auto mention_edges = st.edges_by_type.find("MENTIONS");
      std::cout << fmt::format("  graph: {} nodes, {} edges ({} MENTIONS edges for the mentions above) ({:.2f}s)\n", st.nodes,
                               st.edges, mention_edges == st.edges_by_type.end() ? 0 : mention_edges->second, br.seconds);
      for (auto& [t, c] : st.nodes_by_type) std::cout << fmt::format("    {:<12} {:>8}\n", t, c);

      step("[5/9] example queries");
      // The most active user, and a path to a product they never touched but that shares a brand.
      NodeId best = 0;
      size_t best_deg = 0;
      for (NodeId n = 0; n < g.num_nodes(); ++n)
        if (g.type(n) == NodeType::kUser && g.Degree(n) > best_deg) best = n, best_deg = g.Degree(n);
      std::string example;
      if (best_deg > 0) {
        example += fmt::format("Most active user: `{}` ({} edges).\n\n", g.Spec(best), best_deg);
        // Target: a product reachable in 3 hops through MADE_BY, not directly connected.
        std::vector<char> touched(g.num_nodes(), 0);
        for (const auto& x : g.Neighbors(best)) touched[x.other] = 1;
        std::optional<NodeId> target;
        for (const auto& x : g.Neighbors(best)) {
          if (g.edge(x.edge).type != edge::kPurchased) continue;
          for (const auto& y : g.Neighbors(x.other)) {
            if (g.edge(y.edge).type != edge::kMadeBy) continue;
            for (const auto& z : g.Neighbors(y.other))
              if (g.type(z.other) == NodeType::kProduct && !touched[z.other]) { target = z.other; break; }
            if (target) break;
          }
          if (target) break;
        }
        if (target) {
          // Explanations through the catalogue (brand, category, attributes, price band) read
          // better than "other users viewed it too", so the example passes through no user.
          PathOptions po;
          po.k = 3;
          po.via_types = {NodeType::kProduct, NodeType::kBrand, NodeType::kCategory, NodeType::kAttribute,
                          NodeType::kPriceBand};
          auto paths = KShortestPaths(g, best, *target, po);
          example += fmt::format("Paths to `{}` (\"{}\"), which the user never touched:\n\n", g.Spec(*target), g.label(*target));
          for (const auto& p : paths) {
            example += "    " + FormatPath(g, p) + "\n";
            std::cout << "  " << FormatPath(g, p) << "\n";
          }
        }
      }
      step("[6/9] training graph embeddings");
      std::string embeddings = DemoEmbeddings(ws, g, best);
      step("[7/9] exporting (Neo4j CSV + Cypher, RDF Turtle)");
      ExportReport neo, ttl;
      ThrowIfError(ExportNeo4j(g, ws.Path("export/neo4j"), &neo));
      RdfOptions ro;
      ro.format = RdfFormat::kTurtle;
      fs::create_directories(ws.Path("export"));
      ThrowIfError(ExportRdf(g, ws.Path("export/graph.ttl"), ro, &ttl));

      step("[8/9] building user profiles");
      auto pctx = LoadProfileContext(ws);
      if (!pctx.ok()) throw Error(pctx.status());
      auto pb = BuildAllProfiles(ws, *pctx, ProfileOptions{}, ClusterOptions{}, 2);
      if (!pb.ok()) throw Error(pb.status());
      auto profiles = LoadProfiles(ws, *pctx);
      if (!profiles.ok()) throw Error(profiles.status());
      std::vector<std::string> labels(pb->clusters.clusters.size());
      for (const auto& c : pb->clusters.clusters) labels[static_cast<size_t>(c.id)] = c.label;
      const auto label_of = [&](const Profile& p) { return p.cluster >= 0 ? labels[static_cast<size_t>(p.cluster)] : ""; };
      {
        OutFile pj;
        ThrowIfError(pj.OpenReplacing(profiles_path));
        auto emb = Unwrap(UserEmbeddings::Load(wsdir));  // trained in step 6
        for (const Profile& p : *profiles) {
          auto j = ToJson(*pctx->graph, p, 20, 1);
          if (emb) j["embedding"] = emb->Json("user:" + p.ext_id);
          pj.Write(j.dump());
          pj.Put('\n');
        }
        ThrowIfError(pj.Close());
      }
      std::cout << fmt::format("  profiles: {} users in {:.2f}s; for example:\n", pb->users, pb->total_s);
      std::string profile_examples;
      for (size_t i = 0; i < profiles->size() && i < 3; ++i) {
        std::string line = ProfileLine(*pctx->items, (*profiles)[i], label_of((*profiles)[i]));
        std::cout << "    " << line << "\n";
        profile_examples += "    " + line + "\n";
      }
      ProfileEvalOptions eo;
      eo.personas = (fs::path(a->g.out_dir) / "personas.jsonl").string();
      auto ev = EvaluateProfiles(ws, *pctx, eo);
      if (!ev.ok()) throw Error(ev.status());
      std::cout << fmt::format("  planted personas: category precision@3 {} (users with >= {} events: {}); "
                               "holdout category@3 precision {} vs most-popular {}\n",
                               Fixed3(ev->planted_category_p3, "none"), eo.planted_min_events,
                               Fixed3(ev->planted_category_p3_active, "none"),
                               Fixed3(ev->model["category@3"].precision, "none"),
                               Fixed3(ev->baseline["category@3"].precision, "none"));

      step("[9/9] recommendations: fit the ranker, recommend with explanations, related items, next purchases");
      const std::string best_ext(best_deg ? g.key(best) : std::string_view());
      const std::string recommend_md = best_deg ? DemoRecommend(ws, best_ext) : std::string();
      std::string llm_md, serve_md;
      if (best_deg) {
        step("[+] grounded texts: summaries and copy, claim-checked");
        llm_md = DemoLlm(ws, best_ext);
      }
      step("[+] privacy: differential privacy, k-anonymous export, erasure");
      const std::string privacy_md = DemoPrivacy(ws) + DemoErasure(ws, erasure_dir);
      if (best_deg) {
        step("[+] HTTP service");
        serve_md = DemoServe(ws, best_ext);
      }

      std::ostringstream md;
      md << "# kgprofile demo report\n\n"
         << fmt::format("Sample: {} users, {} products, {} events ({} purchases), {} reviews, seed {}.\n\n",
                        gs.users, gs.products, gs.events, gs.purchases, gs.reviews, a->g.seed)
         << "## Where things are\n\n"
         << "| what | path |\n|---|---|\n"
         << "| generated sample (REES46 events, catalogue, users, reviews, ground-truth personas) | `" << a->g.out_dir << "` |\n"
         << "| workspace database (SQLite) | `" << ws.Path(kDbFile) << "` |\n"
         << "| Neo4j bulk import + Cypher | `" << ws.Path("export/neo4j") << "` |\n"
         << "| RDF Turtle | `" << ws.Path("export/graph.ttl") << "` |\n\n"
         << "## Ingest\n\n| file | format | new events | new users | new items | new texts | rejected |\n|---|---|---|---|---|---|---|\n"
         << log << "\n## Knowledge graph\n\n"
         << fmt::format("{} nodes, {} edges, built in {:.2f}s.\n\n| node type | count | median degree | max degree |\n|---|---|---|---|\n",
                        st.nodes, st.edges, br.seconds);
      for (auto& [t, d] : st.degree_by_type) md << fmt::format("| {} | {} | {} | {} |\n", t, d.nodes, d.median, d.max);
      md << "\n| edge type | count |\n|---|---|\n";
      for (auto& [t, c] : st.edges_by_type) md << fmt::format("| {} | {} |\n", t, c);
      if (auto m = st.edges_by_type.find("MENTIONS"); m != st.edges_by_type.end())
        md << fmt::format("\n{} MENTIONS edges: one per user (or product) and what its texts mention, with the number "
                          "of mentions as its count.\n",
                          m->second);
      md << "\n" << text_md;
      md << "\n## Example: explaining a connection\n\n" << example << "\n"
         << "Try: `kgprofile graph neighbors " << wsdir << " " << (best_deg ? g.Spec(best) : "user:ID") << "`\n"
         << "\n## Graph embeddings\n\n" << embeddings;
      md << "\n## User profiles\n\n"
         << fmt::format("{} profiles built in {:.2f}s (`kgprofile profile build`), all as JSON Lines in `{}`; schema in "
                        "docs/profile.md.\n\n",
                        pb->users, pb->total_s, profiles_path)
         << "Three of them, in one line each:\n\n" << profile_examples
         << "\n| cluster | users | label |\n|---|---|---|\n";
      for (const auto& c : pb->clusters.clusters) md << fmt::format("| {} | {} | {} |\n", c.id, c.size, c.label);
      md << "\n| quality (`kgprofile profile eval`) | value |\n|---|---|\n"
         << fmt::format("| planted favourite categories, precision@3 (all users / users with >= {} events) | {} / {} |\n",
                        eo.planted_min_events, Fixed3(ev->planted_category_p3, "none"),
                        Fixed3(ev->planted_category_p3_active, "none (no such users)"))
         << fmt::format("| planted favourite brands, precision@3 | {} |\n", Fixed3(ev->planted_brand_p3, "none"))
         << fmt::format("| planted price level, accuracy | {} |\n", Fixed3(ev->planted_price_level_acc, "none"))
         << fmt::format("| holdout ({} days) category@3 precision, profiles / most popular | {} / {} |\n", eo.holdout_days,
                        Fixed3(ev->model["category@3"].precision, "none"), Fixed3(ev->baseline["category@3"].precision, "none"))
         << fmt::format("| holdout brand@3 precision, profiles / most popular | {} / {} |\n",
                        Fixed3(ev->model["brand@3"].precision, "none"), Fixed3(ev->baseline["brand@3"].precision, "none"))
         << fmt::format("| completeness: weighted fill rate / share with >= {} tags | {} / {} |\n", ev->min_tags,
                        Fixed3(ev->fill_rate, "none"), Fixed3(ev->share_min_tags, "none"))
         << fmt::format("| per-event update latency p50 / p99 | {:.2f} / {:.2f} µs |\n", ev->latency_p50_us, ev->latency_p99_us)
         << "\nTry: `kgprofile profile show " << wsdir << " --user "
         << (profiles->empty() ? std::string("ID") : (*profiles)[0].ext_id) << "` and `kgprofile audience " << wsdir
         << " --rule \"price_level = 'high' and lifecycle = 'active'\"`\n";
      md << "\n## Recommendations\n\n" << recommend_md;
      md << "\n## Language-model texts\n\n" << llm_md;
      md << "\n## Privacy\n\n" << privacy_md;
      if (!serve_md.empty()) md << "\n## HTTP service\n\n" << serve_md;
      OutFile report_file;
      ThrowIfError(report_file.OpenReplacing(report.string()));
      report_file.Write(md.str());
      ThrowIfError(report_file.Close());
      std::cout << "\nresults:\n"
                << "  report     " << report.string() << "\n"
                << "  workspace  " << wsdir << "\n"
                << "  sample     " << a->g.out_dir << "\n"
                << "  neo4j      " << ws.Path("export/neo4j") << "\n"
                << "  rdf        " << ws.Path("export/graph.ttl") << "\n"
                << "  erasure    " << erasure_dir << " (two users erased from a copy)\n"
                << "  profiles   " << profiles_path << "\n"
                << "  ranker     "
                << (fs::exists(ws.Path("models/recommend.json")) ? ws.Path("models/recommend.json")
                                                                 : std::string("not fitted (too little data; the prior blend is served)"))
                << "\n";
      return 0;
    };
  });
}

}  // namespace kgp::cli
