// Graph build over a small hand-made shop, the CSR graph, path search, and the CLI on top.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "graph/builder.h"
#include "graph/graph.h"
#include "graph/paths.h"
#include "graph/stats.h"
#include "ingest/ingest.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = Workspace::Init(tmp_ / "ws", {});
    ASSERT_TRUE(w.ok());
    ws_ = std::move(w).value();
    test::WriteFile(tmp_ / "categories.csv", "code,name_en,name_zh,parent_code\nelectronics,Electronics,电子产品,\n"
                                             "electronics.smartphone,Smartphones,智能手机,electronics\n");
    std::string cat = "product_id,title,category_path,brand,price,attributes\n";
    for (int i = 1; i <= 10; ++i)
      cat += "p" + std::to_string(i) + ",Phone " + std::to_string(i) + ",electronics.smartphone," +
             (i <= 5 ? "acme" : "zeta") + "," + std::to_string(i * 100) + ",color=" + (i % 2 ? "black" : "white") + "\n";
    test::WriteFile(tmp_ / "catalog.csv", cat);
    test::WriteFile(tmp_ / "users.csv", "user_id,gender,birth_year,city,occupation,signup_time\n"
                                        "u1,F,1990,上海,engineer,\nu2,M,1960,北京,,\nu3,,,,,\n");
    std::string ev = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
    auto row = [&](const char* t, const char* type, const char* p, const char* u) {
      ev += std::string(t) + "," + type + "," + p + ",,,,," + u + ",s\n";
    };
    row("2026-01-01 10:00:00 UTC", "view", "p1", "u1");
    row("2026-01-02 10:00:00 UTC", "view", "p1", "u1");
    row("2026-01-03 10:00:00 UTC", "view", "p1", "u1");
    row("2026-01-03 10:05:00 UTC", "cart", "p1", "u1");
    row("2026-01-03 10:06:00 UTC", "remove_from_cart", "p1", "u1");
    row("2026-01-03 10:07:00 UTC", "purchase", "p1", "u1");
    row("2026-01-03 10:08:00 UTC", "purchase", "p2", "u1");
    row("2026-01-04 10:00:00 UTC", "purchase", "p1", "u2");
    row("2026-01-04 10:01:00 UTC", "purchase", "p2", "u2");
    row("2026-01-05 10:01:00 UTC", "view", "p9", "u3");
    test::WriteFile(tmp_ / "events.csv", ev);
    test::WriteFile(tmp_ / "kg.tsv", "acme\tfounded_in\tshenzhen\nshenzhen\tlocated_in\tchina\n");
    for (auto [f, fmt] : std::vector<std::pair<const char*, const char*>>{
             {"categories.csv", "categories"}, {"catalog.csv", "catalog"}, {"users.csv", "users"},
             {"events.csv", "rees46"}, {"kg.tsv", "triples"}}) {
      IngestOptions o;
      o.format = fmt;
      auto r = Ingest(*ws_, tmp_ / f, o);
      ASSERT_TRUE(r.ok()) << f << ": " << r.status().ToString();
      ASSERT_EQ((*r)[0].rejects, 0u) << f;
    }
    GraphBuildReport rep;
    ASSERT_TRUE(BuildGraph(ws_->db(), GraphBuildOptions{}, &rep).ok());
    auto g = Graph::Load(ws_->db());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    g_ = std::move(g).value();
  }

  NodeId N(const std::string& spec) {
    auto n = g_.FindSpec(spec);
    EXPECT_TRUE(n.has_value()) << spec;
    return n.value_or(0);
  }
  const EdgeData* E(const std::string& from, const std::string& type, const std::string& to) {
    NodeId a = N(from), b = N(to);
    for (const auto& x : g_.Neighbors(a))
      if (x.outgoing && x.other == b && g_.EdgeTypeName(x.type) == type) return &g_.edge(x.edge);
    return nullptr;
  }

  test::TempDir tmp_;
  std::unique_ptr<Workspace> ws_;
  Graph g_;
};

TEST_F(GraphTest, NodesOfEveryKind) {
  GraphStats s = ComputeStats(g_);
  EXPECT_EQ(s.nodes_by_type["User"], 3u);
  EXPECT_EQ(s.nodes_by_type["Product"], 10u);
  EXPECT_EQ(s.nodes_by_type["Category"], 2u);
  EXPECT_EQ(s.nodes_by_type["Brand"], 2u);
  EXPECT_EQ(s.nodes_by_type["Attribute"], 2u);
  EXPECT_EQ(s.nodes_by_type["PriceBand"], 5u);
  EXPECT_EQ(s.nodes_by_type["Gender"], 2u);
  EXPECT_EQ(s.nodes_by_type["AgeGroup"], 2u);
  EXPECT_EQ(s.nodes_by_type["City"], 2u);
  EXPECT_EQ(s.nodes_by_type["Entity"], 3u);
  EXPECT_EQ(g_.label(N("category:electronics.smartphone")), "智能手机");
}

TEST_F(GraphTest, AFewUsersGraphHasTheirEdgesAndEveryEdgeNotFromAUser) {
  ASSERT_FALSE(g_.partial());
  for (const std::vector<std::string>& users :
       {std::vector<std::string>{"u1"}, std::vector<std::string>{"u2", "u3"}, std::vector<std::string>{"nobody"},
        std::vector<std::string>{}}) {
    auto part = Graph::Load(ws_->db(), GraphLoadOptions{.users = users});
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    EXPECT_TRUE(part->partial());
    ASSERT_EQ(part->num_nodes(), g_.num_nodes());
    for (NodeId n = 0; n < g_.num_nodes(); ++n) EXPECT_EQ(part->Spec(n), g_.Spec(n));
    // The whole graph's edges, less those out of other users, in the same order.
    std::vector<std::tuple<NodeId, EdgeTypeId, NodeId, uint32_t, int64_t, float>> want, got;
    size_t user_edges = 0;
    for (const EdgeData& e : g_.edges()) {
      const bool from_user = g_.type(e.src) == NodeType::kUser;
      user_edges += from_user;
      if (from_user && std::find(users.begin(), users.end(), g_.key(e.src)) == users.end()) continue;
      want.emplace_back(e.src, e.type, e.dst, e.count, e.last_ts, e.weight);
    }
    for (const EdgeData& e : part->edges()) got.emplace_back(e.src, e.type, e.dst, e.count, e.last_ts, e.weight);
    EXPECT_EQ(got, want);
    EXPECT_GT(user_edges, 0u);
    EXPECT_LT(got.size(), g_.num_edges());
    // The users' neighbourhoods are whole.
    for (const std::string& u : users) {
      auto n = g_.Find(NodeType::kUser, u);
      if (!n) continue;
      EXPECT_EQ(part->Neighbors(*n).size(), g_.Neighbors(*n).size()) << u;
    }
  }
}

TEST_F(GraphTest, InteractionsAreAggregatedPerUserItemAndType) {
  const EdgeData* v = E("user:u1", "VIEWED", "product:p1");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->count, 3u);
  EXPECT_FLOAT_EQ(v->weight, 3.0f);
  EXPECT_EQ(v->first_ts, 1767261600);  // 2026-01-01 10:00 UTC
  EXPECT_EQ(v->last_ts, 1767434400);
  ASSERT_NE(E("user:u1", "CARTED", "product:p1"), nullptr);
  ASSERT_NE(E("user:u1", "PURCHASED", "product:p2"), nullptr);
  EXPECT_EQ(E("user:u1", "PURCHASED", "product:p1")->weight, 5.0f);
  EXPECT_EQ(ws_->db().QueryInt("SELECT count(*) FROM events"), 10);  // raw events stay
}

// The latest price an event carries becomes items.price, often a sale price; bands are of list
// prices, the highest each product was seen at.
TEST_F(GraphTest, PriceBandsUseTheListPriceNotTheLatestDiscount) {
  test::WriteFile(tmp_ / "sale.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                                     "2026-01-06 10:00:00 UTC,purchase,p10,,,,150,u3,s\n");
  IngestOptions o;
  o.format = "rees46";
  ASSERT_TRUE(Ingest(*ws_, tmp_ / "sale.csv", o).ok());
  EXPECT_EQ(ws_->db().QueryInt("SELECT CAST(price AS INTEGER) FROM items WHERE ext_id = 'p10'"), 150);
  EXPECT_EQ(ws_->db().QueryInt("SELECT CAST(list_price AS INTEGER) FROM items WHERE ext_id = 'p10'"), 1000);
  // A dearer event than the list: the list moved.
  test::WriteFile(tmp_ / "rise.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                                     "2026-01-07 10:00:00 UTC,view,p9,,,,1250,u3,s\n");
  ASSERT_TRUE(Ingest(*ws_, tmp_ / "rise.csv", o).ok());
  EXPECT_EQ(ws_->db().QueryInt("SELECT CAST(list_price AS INTEGER) FROM items WHERE ext_id = 'p9'"), 1250);
  // The catalogue's own price stays what the catalogue said (profiles' up-front discount reference).
  EXPECT_EQ(ws_->db().QueryInt("SELECT CAST(catalog_price AS INTEGER) FROM items WHERE ext_id = 'p9'"), 900);
  ASSERT_TRUE(BuildGraph(ws_->db(), GraphBuildOptions{}, nullptr).ok());
  auto g = Graph::Load(ws_->db());
  ASSERT_TRUE(g.ok());
  g_ = std::move(g).value();
  EXPECT_NE(E("product:p10", "IN_PRICE_BAND", "priceband:electronics.smartphone#5"), nullptr);
  EXPECT_NE(E("product:p1", "IN_PRICE_BAND", "priceband:electronics.smartphone#1"), nullptr);
  EXPECT_NE(E("product:p9", "IN_PRICE_BAND", "priceband:electronics.smartphone#5"), nullptr);  // 1250 now
}

TEST_F(GraphTest, CatalogueHierarchyPriceBandsDemographicsAndTriples) {
  EXPECT_NE(E("category:electronics.smartphone", "SUBCATEGORY_OF", "category:electronics"), nullptr);
  EXPECT_NE(E("product:p3", "MADE_BY", "brand:acme"), nullptr);
  EXPECT_NE(E("product:p3", "BELONGS_TO", "category:electronics.smartphone"), nullptr);
  EXPECT_NE(E("product:p3", "HAS_ATTRIBUTE", "attribute:color=black"), nullptr);
  // 10 prices 100..1000 in 5 quantile bands of two each.
  EXPECT_NE(E("product:p1", "IN_PRICE_BAND", "priceband:electronics.smartphone#1"), nullptr);
  EXPECT_NE(E("product:p2", "IN_PRICE_BAND", "priceband:electronics.smartphone#1"), nullptr);
  EXPECT_NE(E("product:p10", "IN_PRICE_BAND", "priceband:electronics.smartphone#5"), nullptr);
  EXPECT_NE(E("user:u1", "HAS_GENDER", "gender:F"), nullptr);
  EXPECT_NE(E("user:u1", "HAS_AGE_GROUP", "agegroup:35-44"), nullptr);  // born 1990, events in 2026
  EXPECT_NE(E("user:u2", "HAS_AGE_GROUP", "agegroup:65+"), nullptr);
  EXPECT_NE(E("user:u1", "LIVES_IN", "city:上海"), nullptr);
  EXPECT_NE(E("entity:acme", "founded_in", "entity:shenzhen"), nullptr);
  const EdgeData* co = E("product:p1", "CO_PURCHASED_WITH", "product:p2");
  ASSERT_NE(co, nullptr);
  EXPECT_EQ(co->count, 2u);  // u1 and u2 both bought p1 and p2
}

// CO_PURCHASED_WITH runs from the smaller product id to the other whatever the ingest order:
// here the events name p2 before p1, so p2 is stored first (it used to give p2 -> p1).
TEST_F(GraphTest, CoPurchaseDirectionDoesNotDependOnIngestOrder) {
  auto w = Workspace::Init(tmp_ / "ws2", {});
  ASSERT_TRUE(w.ok());
  std::string ev = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (const char* u : {"u1", "u2"})
    ev += fmt::format("2026-01-03 10:00:00 UTC,purchase,p2,,,,,{0},s\n2026-01-03 10:01:00 UTC,purchase,p1,,,,,{0},s\n", u);
  test::WriteFile(tmp_ / "events2.csv", ev);
  IngestOptions o;
  o.format = "rees46";
  ASSERT_TRUE(Ingest(**w, tmp_ / "events2.csv", o).ok());
  ASSERT_TRUE(BuildGraph((*w)->db(), GraphBuildOptions{}, nullptr).ok());
  auto g = Graph::Load((*w)->db());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  g_ = std::move(g).value();
  EXPECT_NE(E("product:p1", "CO_PURCHASED_WITH", "product:p2"), nullptr);
  EXPECT_EQ(E("product:p2", "CO_PURCHASED_WITH", "product:p1"), nullptr);
}

// A KG relation named as a built-in edge type is that type (a second MADE_BY row in the edge
// types failed every later build); names differing only in case stay apart, the exact one wins.
TEST_F(GraphTest, KgRelationsNamedAsBuiltinsOrDifferingInCase) {
  test::WriteFile(tmp_ / "kg2.tsv", "acme\tMADE_BY\tfoxconn\nacme\tRel\tx\nacme\trel\ty\nacme\tviewed\tz\n");
  IngestOptions o;
  o.format = "triples";
  auto r = Ingest(*ws_, tmp_ / "kg2.tsv", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status built = BuildGraph(ws_->db(), GraphBuildOptions{}, nullptr);
  ASSERT_TRUE(built.ok()) << built.ToString();
  auto g = Graph::Load(ws_->db());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  g_ = std::move(g).value();
  EXPECT_NE(E("entity:acme", "MADE_BY", "entity:foxconn"), nullptr);
  EXPECT_NE(E("entity:acme", "Rel", "entity:x"), nullptr);
  EXPECT_NE(E("entity:acme", "rel", "entity:y"), nullptr);
  EXPECT_EQ(g_.FindEdgeType("MADE_BY"), edge::kMadeBy);
  EXPECT_EQ(g_.FindEdgeType("VIEWED"), edge::kViewed);
  ASSERT_TRUE(g_.FindEdgeType("Rel") && g_.FindEdgeType("rel") && g_.FindEdgeType("viewed"));
  EXPECT_EQ(g_.EdgeTypeName(*g_.FindEdgeType("Rel")), "Rel");
  EXPECT_EQ(g_.EdgeTypeName(*g_.FindEdgeType("rel")), "rel");
  EXPECT_EQ(g_.EdgeTypeName(*g_.FindEdgeType("viewed")), "viewed");
  EXPECT_EQ(g_.FindEdgeType("made_by"), edge::kMadeBy);  // no exact match: case-insensitive
  // And it builds again.
  EXPECT_TRUE(BuildGraph(ws_->db(), GraphBuildOptions{}, nullptr).ok());
}

// Text output keeps one neighbour per line: a title's newline or a control character is a space.
TEST_F(GraphTest, NeighboursPrintOneLineEach) {
  test::WriteFile(tmp_ / "c2.csv", "product_id,title,category_path,brand,price,attributes\n"
                                   "p1,\"Phone\nwith a second line\",electronics.smartphone,acme,100,\n");
  IngestOptions o;
  o.format = "catalog";
  ASSERT_TRUE(Ingest(*ws_, tmp_ / "c2.csv", o).ok());
  ASSERT_TRUE(BuildGraph(ws_->db(), GraphBuildOptions{}, nullptr).ok());
  ws_.reset();  // the CLI opens the workspace itself
  auto r = test::RunCli("graph neighbors " + (tmp_ / "ws") + " brand:acme");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Phone with a second line"), std::string::npos) << r.out;
  size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_EQ(lines, 6u) << r.out;  // the heading and five products
}

TEST_F(GraphTest, KShortestPathsAreSimpleConnectedAndOrdered) {
  PathOptions o;
  o.k = 5;
  o.max_length = 4;
  auto paths = KShortestPaths(g_, N("user:u1"), N("product:p3"), o);
  ASSERT_GE(paths.size(), 2u);
  EXPECT_EQ(paths[0].steps.size(), 3u);  // u1 -> p1|p2 -MADE_BY-> acme <-MADE_BY- p3, or via colour/band
  for (size_t i = 1; i < paths.size(); ++i) EXPECT_LE(paths[i - 1].steps.size(), paths[i].steps.size());
  for (const auto& p : paths) {
    std::set<NodeId> seen{p.start};
    NodeId at = p.start;
    for (const auto& st : p.steps) {
      const auto& e = g_.edge(st.edge);
      EXPECT_EQ(st.forward ? e.src : e.dst, at);
      EXPECT_EQ(st.forward ? e.dst : e.src, st.node);
      EXPECT_TRUE(seen.insert(st.node).second) << "path revisits a node";
      at = st.node;
    }
    EXPECT_EQ(at, N("product:p3"));
  }
  // Restricting edge types: only via brands.
  o.edge_types = {edge::kPurchased, edge::kMadeBy};
  auto via_brand = KShortestPaths(g_, N("user:u1"), N("product:p3"), o);
  ASSERT_FALSE(via_brand.empty());
  EXPECT_NE(FormatPath(g_, via_brand[0]).find("-MADE_BY-> brand:acme <-MADE_BY- product:p3"), std::string::npos)
      << FormatPath(g_, via_brand[0]);
  // Through another shopper (u1 and u2 both bought p1): an explanation for u1 does not name u2.
  o.edge_types = {edge::kPurchased};
  o.max_length = 3;
  auto via_user = KShortestPaths(g_, N("user:u1"), N("product:p2"), o);
  bool through_u2 = false;
  for (const auto& p : via_user) {
    const std::string shown = FormatPath(g_, p), hidden = FormatPath(g_, p, /*hide_other_users=*/true);
    if (shown.find("user:u2") == std::string::npos) continue;
    through_u2 = true;
    EXPECT_EQ(hidden.find("user:u2"), std::string::npos) << hidden;
    EXPECT_NE(hidden.find("<-PURCHASED- user:* -PURCHASED->"), std::string::npos) << hidden;
    EXPECT_EQ(hidden.rfind("user:u1 ", 0), 0u) << hidden;  // the subject stays named
  }
  EXPECT_TRUE(through_u2);
  // A huge k means all there are: k * 4 wrapped to 0 and no path was searched.
  o.edge_types = {};
  o.k = 3;
  const size_t three = KShortestPaths(g_, N("user:u1"), N("product:p3"), o).size();
  ASSERT_GT(three, 0u);
  for (size_t k : {size_t{1} << 62, std::numeric_limits<size_t>::max()}) {
    o.k = k;
    EXPECT_GE(KShortestPaths(g_, N("user:u1"), N("product:p3"), o).size(), three) << k;
  }
  // Unreachable within the bound.
  o.max_length = 4;
  o.edge_types = {edge::kViewed};
  EXPECT_TRUE(KShortestPaths(g_, N("user:u1"), N("product:p3"), o).empty());
}

// Twenty products of one brand, each viewed once by u0 except the last, viewed five times: the
// heaviest two-edge path to the brand is the last one found in neighbour order. The search once
// stopped after 4k paths, so small k missed it and the top k changed with k.
// A stored rating outside 0 to 10 (an older service took any number as a posted rating) counts
// as a rating not given: 1e39 and -1e39 made an infinite and a NaN edge weight, and every graph
// build failed on its NOT NULL weight from then on.
TEST(GraphBuild, AStoredRatingOutOfRangeCountsAsNoRating) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  test::WriteFile(tmp / "r.csv", "user,item,type,rating,time\nu1,m1,rate,4,2026-01-01 10:00:00\n"
                                 "u1,m2,rate,5,2026-01-01 10:01:00\nu1,m3,rate,2,2026-01-01 10:02:00\n");
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  auto in = test::RunCli("-q ingest " + ws + " " + (tmp / "r.csv") +
                         " --format events-csv --map user=user --map item=item --map type=type --map rating=rating --map time=time");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    w.value()->db().ExecOrThrow(
        "UPDATE events SET value = 1e39 WHERE value = 5; UPDATE events SET value = -1e39 WHERE value = 2");
  }
  auto build = test::RunCli("-q graph build " + ws);
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto nb = test::RunCli("--json graph neighbors " + ws + " user:u1 --type RATED");
  ASSERT_EQ(nb.exit_code, 0) << nb.err;
  std::map<std::string, double> weight;
  const auto answer = nlohmann::json::parse(nb.out);
  for (const auto& n : answer["neighbors"]) {
    ASSERT_TRUE(n["weight"].is_number()) << nb.out;
    weight[n["key"].get<std::string>()] = n["weight"].get<double>();
  }
  EXPECT_EQ(weight, (std::map<std::string, double>{{"m1", 4.0}, {"m2", 3.0}, {"m3", 3.0}})) << nb.out;
}

TEST(GraphPaths, TheBestPathsWhateverK) {
  test::TempDir tmp;
  std::string cat = "product_id,title,category_path,brand,price,attributes\n", ev =
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (int i = 1; i <= 20; ++i) {
    const std::string p = fmt::format("p{:02}", i);
    cat += p + ",T," + "a.b,acme,,\n";
    for (int v = 0; v < (i == 20 ? 5 : 1); ++v) ev += fmt::format("2026-01-01 10:{:02}:{:02} UTC,view,{},,,,,u0,s\n", i, v, p);
  }
  test::WriteFile(tmp / "catalog.csv", cat);
  test::WriteFile(tmp / "events.csv", ev);
  auto ws = test::IngestedWorkspace(tmp / "ws", {tmp / "catalog.csv", tmp / "events.csv"});
  ASSERT_TRUE(ws);
  auto g = Graph::Load(ws->db());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  const NodeId u = *g->FindSpec("user:u0"), b = *g->FindSpec("brand:acme");
  PathOptions o;
  o.max_length = 2;
  o.k = 20;
  PathSearchStats stats;
  const auto all = KShortestPaths(*g, u, b, o, &stats);
  EXPECT_TRUE(stats.complete);
  ASSERT_EQ(all.size(), 20u);
  EXPECT_EQ(g->Spec(all[0].steps[0].node), "product:p20") << FormatPath(*g, all[0]);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].weight, all[i].weight);
  for (size_t k : {1, 3, 5, 12}) {
    o.k = k;
    const auto top = KShortestPaths(*g, u, b, o);
    ASSERT_EQ(top.size(), k);
    for (size_t i = 0; i < k; ++i) EXPECT_EQ(FormatPath(*g, top[i]), FormatPath(*g, all[i])) << "k=" << k << " i=" << i;
  }
  // The budget bounds the work: when it runs out the answer says so.
  o.k = 20;
  o.max_expansions = 10;
  KShortestPaths(*g, u, b, o, &stats);
  EXPECT_FALSE(stats.complete);
  EXPECT_LE(stats.expansions, 11u);
  // Each adjacency examined counts, not each node entered: u0's 20 products are entered 41
  // times in all, but their neighbours (u0, the brand, the category) are 80 adjacencies.
  o.max_expansions = 45;
  KShortestPaths(*g, u, b, o, &stats);
  EXPECT_FALSE(stats.complete);
  EXPECT_LE(stats.expansions, 46u);
  // The CLI: the same top 3 as the top of 20, and -k is capped (memory is k paths).
  const std::string w = tmp / "ws";
  auto k3 = test::RunCli("graph paths " + w + " user:u0 brand:acme --max-length 2");
  ASSERT_EQ(k3.exit_code, 0) << k3.err;
  EXPECT_EQ(k3.out.rfind("[2] user:u0 -VIEWED-> product:p20 -MADE_BY-> brand:acme\n", 0), 0u) << k3.out;
  auto big = test::RunCli("graph paths " + w + " user:u0 brand:acme -k 100000");
  EXPECT_NE(big.exit_code, 0);
  EXPECT_NE(big.err.find("-k"), std::string::npos) << big.err;
  auto j = test::RunCli("--json graph paths " + w + " user:u0 brand:acme -k 10000");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(nlohmann::json::parse(j.out)["complete"].get<bool>());
}

TEST_F(GraphTest, CliStatsNeighborsPathsAndErrors) {
  std::string ws = tmp_ / "ws";
  auto st = test::RunCli("--json graph stats " + ws);
  ASSERT_EQ(st.exit_code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out);
  EXPECT_EQ(j["nodes"].get<uint64_t>(), g_.num_nodes());
  EXPECT_EQ(j["edges"].get<uint64_t>(), g_.num_edges());
  auto nb = test::RunCli("--json graph neighbors " + ws + " user:u1 --type PURCHASED");
  ASSERT_EQ(nb.exit_code, 0) << nb.err;
  auto n = nlohmann::json::parse(nb.out);
  EXPECT_EQ(n["total"].get<int>(), 2);
  auto paths = test::RunCli("graph paths " + ws + " user:u1 product:p3 -k 2");
  ASSERT_EQ(paths.exit_code, 0) << paths.err;
  EXPECT_NE(paths.out.find("[3] user:u1"), std::string::npos) << paths.out;
  auto zero = test::RunCli("graph paths " + ws + " user:u1 product:p3 -k 0");  // said "no path"
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_NE(zero.err.find("-k"), std::string::npos) << zero.err;
  auto missing = test::RunCli("graph neighbors " + ws + " user:nobody");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no node 'user:nobody'"), std::string::npos) << missing.err;
  auto nows = test::RunCli("graph stats " + (tmp_ / "nope"));
  EXPECT_EQ(nows.exit_code, 1);
  EXPECT_NE(nows.err.find("not a kgprofile workspace"), std::string::npos) << nows.err;
  // An empty workspace: graph build says what to ingest rather than building nothing (every
  // later stage would then send the user back to graph build).
  ASSERT_EQ(test::RunCli("-q init " + (tmp_ / "empty")).exit_code, 0);
  auto empty = test::RunCli("graph build " + (tmp_ / "empty"));
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("nothing to build a graph from"), std::string::npos) << empty.err;
  // Out-of-range build options are refused (they meant "none"); one price band is one band.
  for (const char* bad : {"--price-bands -3", "--min-copurchase -1"}) {
    auto r = test::RunCli("graph build " + ws + " " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << r.err;
  }
  auto one = test::RunCli("--json graph build " + ws + " --price-bands 1");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(nlohmann::json::parse(one.out)["nodes_by_type"]["PriceBand"].get<int>(), 1) << one.out;
  EXPECT_EQ(BuildGraph(ws_->db(), GraphBuildOptions{.price_bands = -1}, nullptr).code(), Status::Code::kInvalidArgument);
  for (const char* sub : {"init", "ingest", "graph build", "graph stats", "graph neighbors", "graph paths", "export",
                          "generate", "demo"}) {
    auto h = test::RunCli(std::string(sub) + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace kgp
