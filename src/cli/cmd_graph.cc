// kgprofile graph build | stats | neighbors | paths, and export.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "graph/builder.h"
#include "graph/export.h"
#include "graph/graph.h"
#include "graph/json.h"
#include "graph/paths.h"
#include "graph/stats.h"
#include "store/commit_lock.h"
#include "profile/pipeline.h"
#include "service/event_merger.h"

namespace kgp::cli {
namespace {

// Throws InvalidArgument when an export's output `out` would overwrite the workspace's own state:
// the database (and its -wal, -shm, -journal), the settings, the key file (wherever the settings
// put it), the server lock, the inbox, profiles.state, ner-titles.bin, models/ or rejects/, or,
// for a folder output (Neo4j), the workspace folder itself. Paths are compared after resolving
// links, so ws/../ws/kgprofile.db is caught too.
void RefuseWorkspaceState(const Workspace& w, const std::string& out, bool folder) {
  namespace fs = std::filesystem;
  if (out.empty()) return;
  std::error_code ec;
  auto resolve = [&](const fs::path& p) {
    fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? fs::absolute(p, ec).lexically_normal() : r;
  };
  const fs::path ws = resolve(w.dir()), target = resolve(out);
  auto refuse = [&](const std::string& what) {
    throw Error(Status::InvalidArgument(fmt::format(
        "export: {} is {}; write the export elsewhere (default: {})", out, what, (ws / "export").string())));
  };
  if (folder && target == ws) refuse(fmt::format("the workspace folder {} itself", w.dir()));
  const std::string db = kDbFile, inbox = service::kInboxFile;
  std::vector<fs::path> own;
  for (const std::string& name : {db, db + "-wal", db + "-shm", db + "-journal", std::string(kConfigFile),
                                  std::string(kServeLockFile), std::string(kCommitLockFile), inbox, inbox + "-wal", inbox + "-shm",
                                  std::string(kProfileStateFile), std::string("ner-titles.bin"), std::string("models"),
                                  std::string("rejects")})
    own.push_back(ws / name);
  own.push_back(resolve(w.PseudonymKeyPath()));
  for (const fs::path& o : own) {
    const auto rel = target.lexically_relative(o);
    const bool inside = !rel.empty() && *rel.begin() != "..";  // o itself ("."), or below it
    if (inside || (fs::exists(target, ec) && fs::equivalent(target, o, ec)))
      refuse(fmt::format("part of workspace {} ({})", w.dir(), o.filename().string()));
  }
}


NodeId FindNode(const Graph& g, const std::string& spec) {
  auto n = g.FindSpec(spec);
  if (!n)
    throw Error(Status::NotFound(fmt::format(
        "no node '{}' (use TYPE:KEY, e.g. user:123, product:456, category:electronics.smartphone, brand:apple)", spec)));
  return *n;
}

}  // namespace

void AddGraphCommands(CLI::App& app, Registry& reg) {
  auto* graph = app.add_subcommand("graph", "build and query the knowledge graph");
  graph->require_subcommand(1);

  {
    auto* cmd = graph->add_subcommand("build", "derive the graph from the workspace's events, catalogue and triples");
    auto ws = std::make_shared<std::string>();
    auto o = std::make_shared<GraphBuildOptions>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->add_option("--price-bands", o->price_bands, "price quantile bands per category (0 = none)")
        ->capture_default_str()->check(CLI::Range(0, 1000));
    cmd->add_option("--min-copurchase", o->min_copurchase, "users who bought both items for CO_PURCHASED_WITH (0 = none)")
        ->capture_default_str()->check(CLI::Range(0, 1000000000));
    cmd->callback([&reg, ws, o] {
      *reg.selected = [&reg, ws, o] {
        auto w = OpenWorkspace(*ws);
        Unwrap(service::RecoverStagedEvents(*w));
        GraphBuildReport rep;
        ThrowIfError(BuildGraph(w->db(), *o, &rep));
        if (rep.nodes == 0)  // later stages would say "no graph yet (run: graph build)"
          throw Error(Status::NotFound(fmt::format(
              "{}: nothing to build a graph from (no events, catalogue, users, texts or triples); run: kgprofile ingest {} FILE…",
              *ws, *ws)));
        Emit(*reg.globals,
             {{"nodes", rep.nodes}, {"edges", rep.edges}, {"events", rep.events},
              {"nodes_by_type", rep.nodes_by_type}, {"edges_by_type", rep.edges_by_type}, {"seconds", rep.seconds}},
             [&] {
               std::cout << fmt::format("graph built from {} events: {} nodes, {} edges in {:.2f}s\n", rep.events,
                                        rep.nodes, rep.edges, rep.seconds);
               for (auto& [t, c] : rep.nodes_by_type) std::cout << fmt::format("  node {:<12} {:>10}\n", t, c);
               for (auto& [t, c] : rep.edges_by_type) std::cout << fmt::format("  edge {:<18} {:>10}\n", t, c);
             });
        return 0;
      };
    });
  }
  {
    auto* cmd = graph->add_subcommand("stats", "counts per node and edge type, degree distribution");
    auto ws = std::make_shared<std::string>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->callback([&reg, ws] {
      *reg.selected = [&reg, ws] {
        auto w = OpenWorkspace(*ws);
        Graph g = LoadGraph(*w);
        GraphStats s = ComputeStats(g);
        nlohmann::json deg;
        for (auto& [t, d] : s.degree_by_type)
          deg[t] = {{"nodes", d.nodes}, {"min", d.min}, {"median", d.median}, {"mean", d.mean},
                    {"p90", d.p90}, {"p99", d.p99}, {"max", d.max}};
        Emit(*reg.globals,
             {{"nodes", s.nodes}, {"edges", s.edges}, {"isolated_nodes", s.isolated},
              {"nodes_by_type", s.nodes_by_type}, {"edges_by_type", s.edges_by_type}, {"degree", deg},
              {"memory_bytes", s.memory_bytes}},
             [&] {
               std::cout << fmt::format("{} nodes, {} edges, {} isolated; {:.1f} MiB in memory\n", s.nodes, s.edges,
                                        s.isolated, s.memory_bytes / 1048576.0);
               std::cout << fmt::format("{:<12} {:>9} {:>6} {:>7} {:>8} {:>6} {:>6} {:>8}\n", "node type", "nodes",
                                        "min", "median", "mean", "p90", "p99", "max");
               for (auto& [t, d] : s.degree_by_type)
                 std::cout << fmt::format("{:<12} {:>9} {:>6} {:>7} {:>8.1f} {:>6} {:>6} {:>8}\n", t, d.nodes, d.min,
                                          d.median, d.mean, d.p90, d.p99, d.max);
               std::cout << "edge types:\n";
               for (auto& [t, c] : s.edges_by_type) std::cout << fmt::format("  {:<20} {:>10}\n", t, c);
             });
        return 0;
      };
    });
  }
  {
    auto* cmd = graph->add_subcommand("neighbors", "a node's neighbours, strongest first");
    struct Args {
      std::string ws, node, direction = "both";
      std::vector<std::string> types;
      size_t limit = 20;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("NODE", a->node, "TYPE:KEY, e.g. user:123 or brand:apple")->required();
    cmd->add_option("-t,--type", a->types, "only these edge types (e.g. PURCHASED)");
    cmd->add_option("--direction", a->direction, "out, in or both")
        ->check(CLI::IsMember({"out", "in", "both"}))->capture_default_str();
    cmd->add_option("-n,--limit", a->limit, "how many")->capture_default_str()->check(Unsigned());
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        Graph g = LoadGraph(*w);
        NodeId n = FindNode(g, a->node);
        NeighborQuery q;
        q.types = Unwrap(ParseEdgeTypes(g, a->types));
        q.direction = a->direction;
        q.limit = a->limit;
        size_t total = 0;
        std::vector<Adjacent> adj = SelectNeighbors(g, n, q, &total);
        Emit(*reg.globals, NeighborsJson(g, n, adj, total), [&] {
          // One line per neighbour: a title's newline or an escape sequence in a key is a space.
          std::cout << fmt::format("{} \"{}\": {} neighbours{}\n", OneLine(g.Spec(n)), OneLine(g.label(n)), total,
                                   total > adj.size() ? fmt::format(" (showing {})", adj.size()) : "");
          for (const auto& x : adj) {
            const auto& e = g.edge(x.edge);
            std::cout << fmt::format("  {} {:<18} {:<40} count={} weight={:.1f}  {}\n", x.outgoing ? "->" : "<-",
                                     OneLine(g.EdgeTypeName(e.type)), OneLine(g.Spec(x.other)), e.count, e.weight,
                                     OneLine(g.label(x.other)));
          }
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = graph->add_subcommand("paths", "k shortest paths between two nodes (for explanations)");
    struct Args {
      std::string ws, from, to;
      std::vector<std::string> types, via;
      PathOptions o;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("FROM", a->from, "TYPE:KEY")->required();
    cmd->add_option("TO", a->to, "TYPE:KEY")->required();
    cmd->add_option("-k", a->o.k, "paths wanted")->capture_default_str()->check(CLI::Range(size_t{1}, kMaxPathsK));
    cmd->add_option("--max-length", a->o.max_length, "longest path, in edges")->capture_default_str()->check(CLI::Range(1, 12));
    cmd->add_option("-t,--type", a->types, "only these edge types");
    cmd->add_option("--via", a->via, "only these node types in the middle (e.g. product brand category)");
    cmd->add_option("--max-degree", a->o.max_degree, "do not pass through nodes with more neighbours")
        ->capture_default_str()->check(Unsigned());
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        Graph g = LoadGraph(*w);
        NodeId s = FindNode(g, a->from), t = FindNode(g, a->to);
        a->o.edge_types = Unwrap(ParseEdgeTypes(g, a->types));
        for (const auto& v : a->via) {
          auto nt = ParseNodeType(v);
          if (!nt) throw Error(Status::InvalidArgument(fmt::format("unknown node type '{}'", v)));
          a->o.via_types.push_back(*nt);
        }
        PathSearchStats stats;
        auto paths = KShortestPaths(g, s, t, a->o, &stats);
        if (!stats.complete)
          LOG_WRN("graph paths: the search budget ({} steps) ran out: these may not be the {} best paths; narrow it "
                  "with --max-length, --type, --via or --max-degree",
                  a->o.max_expansions, a->o.k);
        nlohmann::json j = PathsJson(g, s, t, paths);
        j["complete"] = stats.complete;
        Emit(*reg.globals, j, [&] {
          if (paths.empty())
            std::cout << fmt::format("no path from {} to {} within {} edges\n", g.Spec(s), g.Spec(t), a->o.max_length);
          for (const auto& p : paths) std::cout << fmt::format("[{}] {}\n", p.steps.size(), FormatPath(g, p));
        });
        return paths.empty() ? 3 : 0;
      };
    });
  }
}

void AddExportCommand(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand(
      "export", "write the graph for Neo4j (bulk CSV + Cypher) or as RDF, or the profile table k-anonymously");
  struct Args {
    std::string ws, format = "neo4j", out, base = "urn:kgprofile:";
    size_t k_anonymous = 0;
    double max_suppression = 0.05;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
  cmd->add_option("--format", a->format, "neo4j, ntriples or turtle")
      ->check(CLI::IsMember({"neo4j", "ntriples", "turtle"}))->capture_default_str();
  cmd->add_option("-o,--out", a->out, "output folder (neo4j) or file (RDF); default WORKSPACE/export/…");
  cmd->add_option("--base", a->base, "IRI prefix for RDF nodes and vocabulary")->capture_default_str();
  cmd->add_option("--k-anonymous", a->k_anonymous,
                  "export the profile table instead, k-anonymous for this k (CSV; docs/privacy.md)")
      ->check(PositiveInt());
  cmd->add_option("--max-suppression", a->max_suppression, "k-anonymous export: share of rows that may be suppressed")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      auto w = OpenWorkspace(a->ws);
      RefuseWorkspaceState(*w, a->out, a->k_anonymous == 0 && a->format == "neo4j");
      // The whole export (it is short) under the commit lock: an erasure waits for it, then
      // removes what names the user, instead of running between the read and the files.
      auto commit = Unwrap(CommitLock::Acquire(*w, "export"));
      if (a->k_anonymous > 0) return RunProfileExportKAnon(*reg.globals, *w, a->out, a->k_anonymous, a->max_suppression);
      Graph g = LoadGraph(*w);
      ExportReport rep;
      std::string out = a->out;
      if (a->format == "neo4j") {
        if (out.empty()) out = w->Path("export/neo4j");
        ThrowIfError(ExportNeo4j(g, out, &rep));
      } else {
        RdfOptions o;
        o.format = a->format == "turtle" ? RdfFormat::kTurtle : RdfFormat::kNTriples;
        o.base = a->base;
        if (out.empty()) out = w->Path(a->format == "turtle" ? "export/graph.ttl" : "export/graph.nt");
        std::filesystem::create_directories(std::filesystem::absolute(out).parent_path());
        ThrowIfError(ExportRdf(g, out, o, &rep));
      }
      Emit(*reg.globals, {{"format", a->format}, {"nodes", rep.nodes}, {"edges", rep.edges},
                          {"triples", rep.triples}, {"files", rep.files}},
           [&] {
             std::cout << fmt::format("exported {} nodes, {} edges{} as {}:\n", rep.nodes, rep.edges,
                                      rep.triples ? fmt::format(" ({} triples)", rep.triples) : "", a->format);
             for (const auto& f : rep.files) std::cout << "  " << f << "\n";
           });
      return 0;
    };
  });
}

}  // namespace kgp::cli
