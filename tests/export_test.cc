// Export: Neo4j CSV/Cypher and RDF (N-Triples, Turtle) from a graph built through the real
// store, with keys and labels chosen to break naive quoting. The RDF is checked by an
// independent parser (raptor's rapper), not by our own reading of it.
#include "graph/export.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/progress.h"
#include "graph/graph.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRapper = "/usr/bin/rapper";

using test::ReadFile;

// Strict RFC 4180 reader, independent of common/csv: quoted fields may hold commas, doubled
// quotes and line breaks; a quote anywhere else is an error (nullopt).
std::optional<std::vector<std::vector<std::string>>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  size_t i = 0;
  bool field_started = false;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      if (field_started) return std::nullopt;  // quote inside an unquoted field
      ++i;
      for (;;) {
        if (i >= text.size()) return std::nullopt;  // unterminated
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(text[i++]);
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') return std::nullopt;
      field_started = true;
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return std::nullopt;
      i += c == '\r' ? 2 : 1;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      rows.push_back(std::move(row));
      row.clear();
      continue;
    }
    field.push_back(c);
    field_started = true;
    ++i;
  }
  if (field_started || !row.empty()) {  // last record without a final newline
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

struct CommandResult {
  int rc = -1;
  std::string output;  // stdout and stderr together
};

CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// rapper -c: parses and counts. nullopt (with the output in *log) on any error.
std::optional<uint64_t> RapperCount(const std::string& syntax, const std::string& path, std::string* log) {
  CommandResult r = RunCommand(fmt::format("{} -i {} -c '{}'", kRapper, syntax, path));
  *log = r.output;
  if (r.rc != 0 || r.output.find("Error") != std::string::npos) return std::nullopt;
  std::smatch m;
  std::regex re("returned ([0-9]+) triple");
  if (!std::regex_search(r.output, m, re)) return std::nullopt;
  return std::stoull(m[1].str());
}

// The triples as rapper reads them, re-serialised as N-Triples and sorted: equal for two files
// exactly when they hold the same triples.
std::vector<std::string> RapperCanonical(const std::string& syntax, const std::string& path) {
  CommandResult r = RunCommand(fmt::format("{} -q -i {} -o ntriples '{}'", kRapper, syntax, path));
  std::vector<std::string> lines;
  std::istringstream in(r.output);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string CypherIdent(std::string_view s) {
  bool plain = !s.empty();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!(isalpha(static_cast<unsigned char>(c)) || c == '_' || (i > 0 && isdigit(static_cast<unsigned char>(c)))))
      plain = false;
  }
  if (plain) return std::string(s);
  std::string out = "`";
  for (char c : s) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override { Progress::SetEnabled(false); }

  // A small graph through the real store, with every key/label hazard we know of.
  Graph BuildGraph() {
    auto ws = Workspace::Init(dir_ + "/ws", {});
    EXPECT_TRUE(ws.ok()) << ws.status().ToString();
    Db& db = (*ws)->db();
    Stmt node = db.Prepare("INSERT INTO graph_nodes(id, type, key, label) VALUES (?, ?, ?, ?)");
    struct N {
      int64_t id;
      NodeType type;
      std::string key, label;
    };
    const std::vector<N> nodes = {
        {1, NodeType::kUser, "u 1", "Alice, \"the\" buyer"},
        {2, NodeType::kUser, "u\"2\",\nx", "Bob\\Smith <bob@example.com>"},
        {3, NodeType::kProduct, "p%1", "华为 智能手机"},
        {4, NodeType::kProduct, "华为 智能手机", "Phone, 5G\r\n\"Pro\" \\"},
        {5, NodeType::kCategory, "electronics.smartphone", "Smart\nphones"},
        {6, NodeType::kBrand, "{a|b}^`c`<d>", ""},
        {7, NodeType::kEntity, "/path?q=1#frag", "tab\there\x01" "ctl\x7f"},
        {8, NodeType::kUser, "-lead.dot.", ""},
        {9, NodeType::kProduct, "%x", "ends with backslash\\"},
        {10, NodeType::kCity, "München", "München"},
        {11, NodeType::kEntity, "bad\xff\xfeutf8", "bad\xff label"},
        {12, NodeType::kCategory, "", "empty\rkey"},
    };
    for (const auto& n : nodes) {
      node.Bind(1, n.id).Bind(2, static_cast<int>(n.type)).Bind(3, n.key).Bind(4, n.label);
      node.Run();
    }
    // Relation names of ingested KG triples are free text.
    ThrowIfError(db.Exec("INSERT INTO graph_edge_types(id, name) VALUES (32, 'has color'), "
                         "(33, 'made`in \"x\", y')"));
    Stmt edge = db.Prepare(
        "INSERT INTO graph_edges(src, type, dst, count, first_ts, last_ts, weight) VALUES (?, ?, ?, ?, ?, ?, ?)");
    struct E {
      int64_t src, type, dst, count;
      std::optional<int64_t> first, last;
      double weight;
    };
    const std::vector<E> edges = {
        {1, edge::kViewed, 3, 3, 1700000000, 1700000500, 3.0},
        {1, edge::kPurchased, 3, 1, 1700000100, 1700000100, 5.0},
        {1, edge::kViewed, 4, 2, std::nullopt, std::nullopt, 0.1},
        {2, edge::kViewed, 4, 1, 1600000000, 1600000000, 1.0},
        {2, edge::kCarted, 3, 1, 1600000001, 1600000001, 3.0},
        {3, edge::kBelongsTo, 5, 1, std::nullopt, std::nullopt, 1.0},
        {4, edge::kBelongsTo, 5, 1, std::nullopt, std::nullopt, 1.0},
        {4, edge::kMadeBy, 6, 1, std::nullopt, std::nullopt, 1.0},
        {3, 32, 7, 1, std::nullopt, std::nullopt, 1.0},
        {7, 33, 4, 1, std::nullopt, std::nullopt, 1.0},
        {8, edge::kViewed, 9, 7, 10, 20, 7.25},
        {1, edge::kLivesIn, 10, 1, std::nullopt, std::nullopt, 1.0},
        {11, 32, 11, 1, std::nullopt, std::nullopt, 1.0},  // self-loop
        {9, edge::kCoPurchasedWith, 3, 0, -5, 0, -1.5},
        {12, edge::kSubcategoryOf, 5, 1, std::nullopt, std::nullopt, 1.0},
    };
    for (const auto& e : edges) {
      edge.Bind(1, e.src).Bind(2, e.type).Bind(3, e.dst).Bind(4, e.count).Bind(5, e.first).Bind(6, e.last)
          .Bind(7, e.weight);
      edge.Run();
    }
    auto g = Graph::Load(db);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    EXPECT_EQ(g->num_nodes(), nodes.size());
    EXPECT_EQ(g->num_edges(), edges.size());
    return std::move(g).value();
  }

  // Documented in docs/export.md: 2 per node + 1 per non-empty label + 1 per edge; with edge
  // data, 6 more per edge + 1 per non-zero timestamp.
  static uint64_t ExpectedTriples(const Graph& g, bool edge_data) {
    uint64_t t = 0;
    for (NodeId n = 0; n < g.num_nodes(); ++n) t += 2 + (g.label(n).empty() ? 0 : 1);
    for (const auto& e : g.edges()) {
      t += 1;
      if (edge_data) t += 6 + (e.first_ts != 0) + (e.last_ts != 0);
    }
    return t;
  }

  test::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

TEST_F(Export, Neo4jCsvRoundTripsAndCypherCoversEveryLabelAndType) {
  Graph g = BuildGraph();
  ExportReport report;
  std::string out = dir_ + "/neo4j/out";  // missing parents are created
  Status s = ExportNeo4j(g, out, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.nodes, g.num_nodes());
  EXPECT_EQ(report.edges, g.num_edges());
  ASSERT_EQ(report.files.size(), 3u);
  EXPECT_EQ(report.files[0], out + "/nodes.csv");
  EXPECT_EQ(report.files[1], out + "/edges.csv");
  EXPECT_EQ(report.files[2], out + "/import.cypher");

  auto nodes = ParseCsv(ReadFile(out + "/nodes.csv"));
  ASSERT_TRUE(nodes.has_value()) << "nodes.csv is not RFC 4180";
  ASSERT_EQ(nodes->size(), g.num_nodes() + 1);
  EXPECT_EQ((*nodes)[0], (std::vector<std::string>{"id:ID", ":LABEL", "key", "name"}));
  std::set<std::string> ids;
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    const auto& row = (*nodes)[n + 1];
    ASSERT_EQ(row.size(), 4u) << "row " << n + 1;
    EXPECT_EQ(row[0], g.Spec(n));
    EXPECT_EQ(row[1], NodeTypeName(g.type(n)));
    EXPECT_EQ(row[2], g.key(n));
    EXPECT_EQ(row[3], g.label(n));
    EXPECT_TRUE(ids.insert(row[0]).second) << "duplicate id " << row[0];
  }

  auto edges = ParseCsv(ReadFile(out + "/edges.csv"));
  ASSERT_TRUE(edges.has_value()) << "edges.csv is not RFC 4180";
  ASSERT_EQ(edges->size(), g.num_edges() + 1);
  EXPECT_EQ((*edges)[0], (std::vector<std::string>{":START_ID", ":END_ID", ":TYPE", "count:long",
                                                   "weight:double", "first_ts:long", "last_ts:long"}));
  for (size_t i = 0; i < g.num_edges(); ++i) {
    const auto& row = (*edges)[i + 1];
    const EdgeData& e = g.edge(static_cast<uint32_t>(i));
    ASSERT_EQ(row.size(), 7u) << "row " << i + 1;
    EXPECT_TRUE(ids.count(row[0])) << "unknown start " << row[0];
    EXPECT_TRUE(ids.count(row[1])) << "unknown end " << row[1];
    EXPECT_EQ(row[0], g.Spec(e.src));
    EXPECT_EQ(row[1], g.Spec(e.dst));
    EXPECT_EQ(row[2], g.EdgeTypeName(e.type));
    EXPECT_EQ(row[3], std::to_string(e.count));
    EXPECT_FLOAT_EQ(std::stof(row[4]), e.weight);
    EXPECT_EQ(row[5], std::to_string(e.first_ts));
    EXPECT_EQ(row[6], std::to_string(e.last_ts));
  }

  std::string cypher = ReadFile(out + "/import.cypher");
  EXPECT_NE(cypher.find("neo4j-admin database import full"), std::string::npos);
  EXPECT_NE(cypher.find("IN TRANSACTIONS OF 10000 ROWS"), std::string::npos);
  std::set<NodeType> labels;
  for (NodeId n = 0; n < g.num_nodes(); ++n) labels.insert(g.type(n));
  for (NodeType t : labels) {
    std::string l = NodeTypeName(t);
    EXPECT_NE(cypher.find("FOR (n:" + l + ") REQUIRE n.id IS UNIQUE"), std::string::npos) << l;
    EXPECT_NE(cypher.find("MERGE (n:" + l + " {id: row['id:ID']})"), std::string::npos) << l;
    // Constraints come before any load.
    EXPECT_LT(cypher.find("FOR (n:" + l + ")"), cypher.find("LOAD CSV")) << l;
  }
  std::set<EdgeTypeId> types;
  for (const auto& e : g.edges()) types.insert(e.type);
  for (EdgeTypeId t : types) {
    std::string rel = "[r:" + CypherIdent(g.EdgeTypeName(t)) + "]";
    EXPECT_NE(cypher.find(rel), std::string::npos) << rel;
  }
  EXPECT_NE(cypher.find("[r:`has color`]"), std::string::npos);
  EXPECT_NE(cypher.find("[r:`made``in \"x\", y`]"), std::string::npos);
}

TEST_F(Export, RdfParsesWithRapperAndFormatsAgree) {
  if (!fs::exists(kRapper)) GTEST_SKIP() << kRapper << " missing: run scripts/install-deps.sh test (raptor2-utils)";
  Graph g = BuildGraph();
  for (bool edge_data : {false, true}) {
    SCOPED_TRACE(edge_data ? "with edge data" : "without edge data");
    RdfOptions nt_opts;
    nt_opts.include_edge_data = edge_data;
    RdfOptions ttl_opts = nt_opts;
    ttl_opts.format = RdfFormat::kTurtle;
    std::string nt = fmt::format("{}/g{}.nt", dir_, edge_data), ttl = fmt::format("{}/g{}.ttl", dir_, edge_data);
    ExportReport nt_report, ttl_report;
    Status s = ExportRdf(g, nt, nt_opts, &nt_report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = ExportRdf(g, ttl, ttl_opts, &ttl_report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(nt_report.triples, ExpectedTriples(g, edge_data));
    EXPECT_EQ(ttl_report.triples, nt_report.triples);
    EXPECT_EQ(nt_report.nodes, g.num_nodes());
    EXPECT_EQ(nt_report.edges, g.num_edges());
    EXPECT_EQ(nt_report.files, std::vector<std::string>{nt});

    std::string log;
    auto nt_count = RapperCount("ntriples", nt, &log);
    ASSERT_TRUE(nt_count.has_value()) << log << "\n--- file:\n" << ReadFile(nt);
    EXPECT_EQ(log.find("Warning"), std::string::npos) << log;
    EXPECT_EQ(*nt_count, nt_report.triples);
    auto ttl_count = RapperCount("turtle", ttl, &log);
    ASSERT_TRUE(ttl_count.has_value()) << log << "\n--- file:\n" << ReadFile(ttl);
    EXPECT_EQ(log.find("Warning"), std::string::npos) << log;
    EXPECT_EQ(*ttl_count, ttl_report.triples);
    EXPECT_EQ(*nt_count, *ttl_count);
    // Not just the same number: the same triples.
    EXPECT_EQ(RapperCanonical("ntriples", nt), RapperCanonical("turtle", ttl));
  }
}

TEST_F(Export, RdfIrisAndLiterals) {
  Graph g = BuildGraph();
  std::string nt = dir_ + "/g.nt";
  ExportReport report;
  ASSERT_TRUE(ExportRdf(g, nt, RdfOptions{}, &report).ok());
  std::string text = ReadFile(nt);
  // Space, '%' and '/' are encoded; Chinese and German letters stay readable.
  EXPECT_NE(text.find("<urn:kgprofile:product/华为%20智能手机>"), std::string::npos);
  EXPECT_NE(text.find("<urn:kgprofile:product/p%251>"), std::string::npos);
  EXPECT_NE(text.find("<urn:kgprofile:city/München>"), std::string::npos);
  EXPECT_NE(text.find("<urn:kgprofile:entity/%2Fpath%3Fq=1%23frag>"), std::string::npos);
  EXPECT_NE(text.find("<urn:kgprofile:schema/has%20color>"), std::string::npos);
  EXPECT_NE(text.find("\"Phone, 5G\\r\\n\\\"Pro\\\" \\\\\""), std::string::npos);
  EXPECT_NE(text.find("\"tab\\there\\u0001ctl\\u007F\""), std::string::npos);
  EXPECT_NE(text.find("<urn:kgprofile:user/u%201> <urn:kgprofile:schema/VIEWED> <urn:kgprofile:product/p%251> ."),
            std::string::npos);
}

TEST_F(Export, PercentEncoding) {
  EXPECT_EQ(PercentEncodeIriSegment("abc-._~!$&'()*+,;=:@"), "abc-._~!$&'()*+,;=:@");
  EXPECT_EQ(PercentEncodeIriSegment("a b%/?#"), "a%20b%25%2F%3F%23");
  EXPECT_EQ(PercentEncodeIriSegment("<>\"{}|\\^`"), "%3C%3E%22%7B%7D%7C%5C%5E%60");
  EXPECT_EQ(PercentEncodeIriSegment("\n\x7f"), "%0A%7F");
  EXPECT_EQ(PercentEncodeIriSegment("华为"), "华为");
  EXPECT_EQ(PercentEncodeIriSegment("\xff" "a"), "%FFa");         // not UTF-8
  EXPECT_EQ(PercentEncodeIriSegment("\xc2\x85"), "%C2%85");       // U+0085: a C1 control, not ucschar
  EXPECT_EQ(PercentEncodeIriSegment("\xef\xbf\xbd"), "%EF%BF%BD");  // U+FFFD is outside ucschar
  EXPECT_EQ(PercentEncodeIriSegment("\xc0\xaf"), "%C0%AF");       // overlong '/'
}

TEST_F(Export, EmptyGraph) {
  auto ws = Workspace::Init(dir_ + "/ws", {});
  ASSERT_TRUE(ws.ok());
  auto g = Graph::Load((*ws)->db());
  ASSERT_TRUE(g.ok());
  ExportReport report;
  ASSERT_TRUE(ExportNeo4j(*g, dir_ + "/neo4j", &report).ok());
  EXPECT_EQ(ReadFile(dir_ + "/neo4j/nodes.csv"), "id:ID,:LABEL,key,name\n");
  RdfOptions ttl;
  ttl.format = RdfFormat::kTurtle;
  ASSERT_TRUE(ExportRdf(*g, dir_ + "/empty.ttl", ttl, &report).ok());
  EXPECT_EQ(report.triples, 0u);
  if (fs::exists(kRapper)) {
    std::string log;
    EXPECT_EQ(RapperCount("turtle", dir_ + "/empty.ttl", &log), std::optional<uint64_t>(0)) << log;
  }
}

TEST_F(Export, UnwritablePathFails) {
  Graph g = BuildGraph();
  // A regular file where a directory should be: fails even for root, unlike chmod.
  std::string blocker = dir_ + "/blocker";
  std::ofstream(blocker) << "x";
  ExportReport report;

  Status s = ExportRdf(g, blocker + "/out.nt", RdfOptions{}, &report);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(blocker + "/out.nt"), std::string::npos) << s.message();

  s = ExportNeo4j(g, blocker + "/neo4j", &report);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(blocker), std::string::npos) << s.message();

  // Existing directory, but nodes.csv cannot be created there (a directory is in the way).
  fs::create_directories(dir_ + "/neo4j/edges.csv");
  s = ExportNeo4j(g, dir_ + "/neo4j", &report);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("edges.csv"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dir_ + "/neo4j/nodes.csv")) << "partial export left behind";

  // Writes that fail after the open (disk full) are caught too, and the device survives.
  if (fs::exists("/dev/full")) {
    s = ExportRdf(g, "/dev/full", RdfOptions{}, &report);
    EXPECT_EQ(s.code(), Status::Code::kIoError);
    EXPECT_NE(s.message().find("/dev/full"), std::string::npos) << s.message();
    EXPECT_TRUE(fs::exists("/dev/full"));
  }
}

TEST_F(Export, RejectsBaseThatIsNotAnIriPrefix) {
  Graph g = BuildGraph();
  RdfOptions opts;
  for (const char* base : {"", "no-scheme/", "http://x/a b/", "urn:<x>:"}) {
    opts.base = base;
    Status s = ExportRdf(g, dir_ + "/x.nt", opts, nullptr);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << base;
  }
  opts.base = "urn:x\x1b[2J:";  // quoted with the escape shown, not sent to the terminal
  EXPECT_NE(ExportRdf(g, dir_ + "/x.nt", opts, nullptr).message().find("'urn:x\\x1b[2J:'"), std::string::npos);
  opts.base = "http://example.org/kg/";
  EXPECT_TRUE(ExportRdf(g, dir_ + "/x.nt", opts, nullptr).ok());
  // RFC 3987: '%' only as a complete %XX, no C1 controls or other non-ucschar code points, one
  // '#' at most. Each of these made every IRI of the export invalid.
  for (const char* base : {"urn:x%", "urn:x%4", "urn:x%zz/", "urn:\xc2\x85x:", "urn:x\xef\xbf\xbf:", "urn:\xff:",
                           "urn:x#a#", "http://x/#a#b/"}) {
    opts.base = base;
    Status s = ExportRdf(g, dir_ + "/x.nt", opts, nullptr);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << base;
  }
  for (const char* base : {"urn:x%41:", "http://例え.jp/kg#", "urn:x#a/", "http://x/%E4%BE%8B/"}) {
    opts.base = base;
    Status s = ExportRdf(g, dir_ + "/x.nt", opts, nullptr);
    EXPECT_TRUE(s.ok()) << base << ": " << s.ToString();
  }
  auto cli = test::RunCli("export " + dir_ + "/ws --format ntriples -o " + dir_ + "/y.nt --base urn:x%");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("is not an absolute IRI prefix"), std::string::npos) << cli.err;
  EXPECT_FALSE(fs::exists(dir_ + "/y.nt"));
}

}  // namespace
}  // namespace kgp

namespace kgp {
namespace {

// `export -o` onto the workspace's database once wrote N-Triples over it (exit 0), and every
// later command failed with "file is not a database".
TEST(ExportCli, RefusesTheWorkspaceOwnStateAndKeepsAnEarlierFileOnFailure) {
  test::TempDir tmp;
  std::string cat = "product_id,title,category_path,brand,price,attributes\n";
  // Enough for an RDF export of a few hundred KiB (the write that fails below).
  for (int i = 0; i < 1000; ++i) cat += fmt::format("p{},Product number {},a.b,acme,{}.5,color=red\n", i, i, i + 1);
  test::WriteFile(tmp / "catalog.csv", cat);
  ASSERT_TRUE(test::IngestedWorkspace(tmp / "ws", {tmp / "catalog.csv"}));
  const std::string ws = tmp / "ws", db = ws + "/kgprofile.db";
  const auto db_size = fs::file_size(db);
  fs::create_symlink(db, tmp / "link.nt");
  for (const std::string& args :
       {"--format ntriples -o " + db, "--format turtle -o " + db + "-wal", "--format ntriples -o " + db + "-shm",
        "--format ntriples -o " + ws + "/kgprofile.conf", "--format ntriples -o " + ws + "/models/kge.bin",
        "--format ntriples -o " + ws + "/../ws/kgprofile.db", "--format ntriples -o " + (tmp / "link.nt"),
        "--format neo4j -o " + ws, "--format neo4j -o " + ws + "/", "--k-anonymous 2 -o " + db}) {
    auto r = test::RunCli("export " + ws + " " + args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_NE(r.err.find("workspace"), std::string::npos) << args << ": " << r.err;
  }
  EXPECT_EQ(fs::file_size(db), db_size);
  EXPECT_FALSE(fs::exists(ws + "/nodes.csv"));
  EXPECT_FALSE(fs::exists(ws + "/models/kge.bin"));
  EXPECT_EQ(test::RunCli("graph stats " + ws).exit_code, 0);
  // Elsewhere in the workspace, and the defaults, are fine.
  EXPECT_EQ(test::RunCli("-q export " + ws + " --format ntriples -o " + ws + "/export/g.nt").exit_code, 0);
  EXPECT_EQ(test::RunCli("-q export " + ws).exit_code, 0);

  // A write that fails half-way (a 128 KiB file size limit) leaves the earlier file as it was.
  const std::string out = tmp / "out.nt", err = tmp / "err.txt";
  test::WriteFile(out, "earlier export\n");
  const std::string cmd = fmt::format(
      "sh -c \"trap '' XFSZ; ulimit -f 256; exec '{}' -q export '{}' --format ntriples -o '{}'\" 2>'{}'",
      test::BinaryPath(), ws, out, err);
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_NE(ReadFile(err).find("write failed"), std::string::npos) << ReadFile(err);
  EXPECT_EQ(ReadFile(out), "earlier export\n");
  EXPECT_EQ(test::TempFilesOf(out), "");
}

}  // namespace
}  // namespace kgp
