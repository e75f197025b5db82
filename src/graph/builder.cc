#include "graph/builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/time.h"
#include "graph/interactions.h"
#include "graph/schema.h"

namespace kgp {
namespace {

// Assigns node ids and writes graph_nodes rows; remembers (type, key) -> id for lookups.
class NodeWriter {
 public:
  explicit NodeWriter(Db& db)
      : ins_(db.Prepare("INSERT INTO graph_nodes(id,type,key,label) VALUES(?,?,?,?)")) {}
  int64_t Add(NodeType t, std::string_view key, std::string_view label) {
    auto& m = index_[static_cast<int>(t)];
    auto it = m.find(std::string(key));
    if (it != m.end()) return it->second;
    int64_t id = ++next_;
    ins_.Bind(1, id).Bind(2, static_cast<int64_t>(t)).Bind(3, key).Bind(4, label).Run();
    m.emplace(std::string(key), id);
    ++counts_[t];
    return id;
  }
  std::map<NodeType, uint64_t> counts_;

 private:
  Stmt ins_;
  int64_t next_ = 0;
  std::unordered_map<std::string, int64_t> index_[kNumNodeTypes];
};

class EdgeWriter {
 public:
  explicit EdgeWriter(Db& db)
      : ins_(db.Prepare(std::string(kInsert))), ins_new_(db.Prepare(std::string(kInsert) + " RETURNING count = ?4")) {}
  // An edge no earlier Add() can have written (each source table gives each edge once).
  void Add(int64_t src, EdgeTypeId type, int64_t dst, int64_t count = 1, double weight = 1.0,
           std::optional<int64_t> first = std::nullopt, std::optional<int64_t> last = std::nullopt) {
    if (!src || !dst) return;
    Bind(ins_, src, type, dst, count, weight, first, last).Run();
    ++counts_[type];
  }
  // An edge that may exist already (text edges: a user who mentions one brand in two reviews, a
  // title naming the catalogue's brand): added to it, and counted only when new. RETURNING
  // costs about 2 µs an edge, too much for the millions of interaction edges.
  void AddMaybeRepeat(int64_t src, EdgeTypeId type, int64_t dst, std::optional<int64_t> ts) {
    if (!src || !dst) return;
    Bind(ins_new_, src, type, dst, 1, 1.0, ts, ts);
    if (ins_new_.Step() && ins_new_.Int(0)) ++counts_[type];  // 1: inserted (an update adds to count)
    ins_new_.Reset();
  }
  std::map<EdgeTypeId, uint64_t> counts_;  // stored edges per type

 private:
  static constexpr const char* kInsert =
      "INSERT INTO graph_edges(src,type,dst,count,first_ts,last_ts,weight) VALUES(?,?,?,?,?,?,?) "
      "ON CONFLICT(src,type,dst) DO UPDATE SET count=count+excluded.count, weight=weight+excluded.weight";
  static Stmt& Bind(Stmt& st, int64_t src, EdgeTypeId type, int64_t dst, int64_t count, double weight,
                    std::optional<int64_t> first, std::optional<int64_t> last) {
    return st.Bind(1, src).Bind(2, static_cast<int64_t>(type)).Bind(3, dst).Bind(4, count).Bind(5, first).Bind(6, last)
        .Bind(7, weight);
  }
  Stmt ins_, ins_new_;
};

std::string AgeGroup(int age) {
  if (age < 18) return "<18";
  if (age < 25) return "18-24";
  if (age < 35) return "25-34";
  if (age < 45) return "35-44";
  if (age < 55) return "45-54";
  if (age < 65) return "55-64";
  return "65+";
}

}  // namespace

Status BuildGraph(Db& db, const GraphBuildOptions& opts, GraphBuildReport* report) {
  if (opts.price_bands < 0 || opts.min_copurchase < 0)
    return Status::InvalidArgument(fmt::format("graph build: price bands ({}) and min co-purchase ({}) must be >= 0 (0 = none)",
                                               opts.price_bands, opts.min_copurchase));
  auto t0 = std::chrono::steady_clock::now();
  Txn txn(db);
  db.ExecOrThrow("DELETE FROM graph_edges; DELETE FROM graph_nodes; DELETE FROM graph_edge_types;");
  // Raised with every build: profile update rewrites every user's tag rows when the graph they
  // were written from is not this one (entity interests come from its MENTIONS edges).
  db.ExecOrThrow("INSERT INTO meta(key, value) VALUES('graph_version', 1) "
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1");
  {
    Stmt et = db.Prepare("INSERT INTO graph_edge_types(id,name) VALUES(?,?)");
    for (EdgeTypeId t = 0; t < edge::kNumBuiltin; ++t) et.Bind(1, static_cast<int64_t>(t)).Bind(2, BuiltinEdgeTypeName(t)).Run();
  }
  NodeWriter nodes(db);
  EdgeWriter edges(db);
  std::unordered_map<int64_t, int64_t> user_node, item_node, cat_node, brand_node, entity_node;
  std::unordered_map<int64_t, std::string> item_ext;  // for CO_PURCHASED_WITH's direction

  // Reference time for ages from birth years: the latest event, else now.
  int64_t ref_ts = db.QueryInt("SELECT max(ts) FROM events", 0);
  if (ref_ts < 86400 * 365) ref_ts = static_cast<int64_t>(std::time(nullptr));
  int64_t ref_year = 1970 + ref_ts / 31556952;

  // Categories first (hierarchy), then brands, products, users.
  {
    Stmt st = db.Prepare("SELECT id, code, coalesce(name_zh, name_en, code), parent_id FROM categories");
    std::vector<std::pair<int64_t, int64_t>> parents;
    while (st.Step()) {
      cat_node[st.Int(0)] = nodes.Add(NodeType::kCategory, st.Text(1), st.Text(2));
      if (!st.IsNull(3)) parents.emplace_back(st.Int(0), st.Int(3));
    }
    for (auto [c, p] : parents) edges.Add(cat_node[c], edge::kSubcategoryOf, cat_node[p]);
  }
  {
    Stmt st = db.Prepare("SELECT id, key, coalesce(name_zh, name, key) FROM brands");
    while (st.Step()) brand_node[st.Int(0)] = nodes.Add(NodeType::kBrand, st.Text(1), st.Text(2));
  }
  {
    Stmt st = db.Prepare("SELECT id, ext_id, coalesce(title, ext_id), brand_id FROM items");
    while (st.Step()) {
      int64_t n = nodes.Add(NodeType::kProduct, st.Text(1), st.Text(2));
      item_node[st.Int(0)] = n;
      if (opts.min_copurchase > 0) item_ext[st.Int(0)] = st.Text(1);
      if (!st.IsNull(3)) edges.Add(n, edge::kMadeBy, brand_node[st.Int(3)]);
    }
    Stmt ic = db.Prepare("SELECT item_id, category_id FROM item_categories");
    while (ic.Step()) edges.Add(item_node[ic.Int(0)], edge::kBelongsTo, cat_node[ic.Int(1)]);
    Stmt at = db.Prepare("SELECT item_id, key, value FROM item_attributes");
    while (at.Step()) {
      std::string kv = fmt::format("{}={}", at.Text(1), at.Text(2));
      edges.Add(item_node[at.Int(0)], edge::kHasAttribute, nodes.Add(NodeType::kAttribute, kv, kv));
    }
  }
  // Price bands: quantiles of list prices within each product's primary category (items.list_price:
  // the catalogue's, raised by dearer events; items.price holds the latest, often a sale price).
  if (opts.price_bands > 0) {  // 1: one band holding the category's priced products
    Stmt st = db.Prepare(
        "SELECT i.category_id, c.code, i.id, coalesce(i.list_price, i.price) AS p FROM items i JOIN categories c ON c.id=i.category_id "
        "WHERE p > 0 ORDER BY i.category_id, p");
    std::vector<std::pair<int64_t, double>> group;
    int64_t cur = -1;
    std::string code;
    auto flush = [&]() {
      size_t n = group.size();
      if (n < static_cast<size_t>(opts.price_bands)) return;
      int64_t cnode = cat_node[cur];
      for (int b = 0; b < opts.price_bands; ++b) {
        size_t lo = n * b / opts.price_bands, hi = n * (b + 1) / opts.price_bands;
        if (lo >= hi) continue;
        std::string key = fmt::format("{}#{}", code, b + 1);
        std::string label = fmt::format("{} price band {}/{} ({:.2f}-{:.2f})", code, b + 1,
                                        opts.price_bands, group[lo].second, group[hi - 1].second);
        int64_t band = nodes.Add(NodeType::kPriceBand, key, label);
        edges.Add(band, edge::kBelongsTo, cnode);
        for (size_t i = lo; i < hi; ++i) edges.Add(item_node[group[i].first], edge::kInPriceBand, band);
      }
    };
    while (st.Step()) {
      if (st.Int(0) != cur) {
        flush();
        group.clear();
        cur = st.Int(0);
        code = std::string(st.Text(1));
      }
      group.emplace_back(st.Int(2), st.Double(3));
    }
    flush();
  }
  {
    Stmt st = db.Prepare(
        "SELECT id, ext_id, gender, age, birth_year, occupation, city FROM users");
    while (st.Step()) {
      int64_t n = nodes.Add(NodeType::kUser, st.Text(1), st.Text(1));
      user_node[st.Int(0)] = n;
      if (!st.IsNull(2)) edges.Add(n, edge::kHasGender, nodes.Add(NodeType::kGender, st.Text(2), st.Text(2)));
      std::optional<int64_t> age;
      if (!st.IsNull(3)) age = st.Int(3);
      else if (!st.IsNull(4)) age = ref_year - st.Int(4);
      if (age) {
        std::string g = AgeGroup(static_cast<int>(*age));
        edges.Add(n, edge::kHasAgeGroup, nodes.Add(NodeType::kAgeGroup, g, g));
      }
      if (!st.IsNull(5)) edges.Add(n, edge::kHasOccupation, nodes.Add(NodeType::kOccupation, st.Text(5), st.Text(5)));
      if (!st.IsNull(6)) edges.Add(n, edge::kLivesIn, nodes.Add(NodeType::kCity, st.Text(6), st.Text(6)));
    }
  }
  // Interactions, aggregated per (user, item, type).
  uint64_t nevents = static_cast<uint64_t>(db.QueryInt("SELECT count(*) FROM events"));
  std::vector<Interaction> inter;
  {
    InteractionAggregator agg;
    agg.Reserve(nevents);
    Progress progress("graph build: events", nevents, "events");
    Stmt st = db.Prepare("SELECT user_id, item_id, type, ts, value FROM events");
    while (st.Step()) {
      std::optional<double> v;
      if (!st.IsNull(4)) v = st.Double(4);
      agg.Add(static_cast<uint32_t>(st.Int(0)), static_cast<uint32_t>(st.Int(1)),
              static_cast<EventType>(st.Int(2)), st.Int(3), v);
      progress.Add(1);
    }
    progress.Finish();
    inter = agg.Finish();
  }
  {
    Progress progress("graph build: interaction edges", inter.size(), "edges");
    for (const auto& e : inter) {
      edges.Add(user_node[e.user], e.type, item_node[e.item], e.count, e.weight, e.first_ts, e.last_ts);
      progress.Add(1);
    }
  }
  // CO_PURCHASED_WITH: pairs of items bought by the same users (each user's latest purchases).
  if (opts.min_copurchase > 0) {
    std::unordered_map<uint64_t, uint32_t> pairs;
    for (size_t i = 0; i < inter.size();) {
      size_t j = i;
      std::vector<std::pair<int64_t, uint32_t>> bought;  // (last_ts, item)
      for (; j < inter.size() && inter[j].user == inter[i].user; ++j)
        if (inter[j].type == edge::kPurchased) bought.emplace_back(inter[j].last_ts, inter[j].item);
      if (bought.size() > static_cast<size_t>(opts.copurchase_max_items)) {
        std::partial_sort(bought.begin(), bought.begin() + opts.copurchase_max_items, bought.end(),
                          std::greater<>());
        bought.resize(static_cast<size_t>(opts.copurchase_max_items));
      }
      for (size_t a = 0; a < bought.size(); ++a)
        for (size_t b = a + 1; b < bought.size(); ++b) {
          uint32_t x = std::min(bought[a].second, bought[b].second), y = std::max(bought[a].second, bought[b].second);
          ++pairs[(static_cast<uint64_t>(x) << 32) | y];
        }
      i = j;
    }
    std::vector<std::pair<uint64_t, uint32_t>> kept;
    for (auto& [k, c] : pairs)
      if (c >= static_cast<uint32_t>(opts.min_copurchase)) kept.emplace_back(k, c);
    std::sort(kept.begin(), kept.end());
    // The pair is one edge, from the product with the smaller id as ingested to the other: the
    // same whichever order the files were ingested in (store row ids follow that order).
    for (auto& [k, c] : kept) {
      int64_t a = static_cast<int64_t>(k >> 32), b = static_cast<int64_t>(k & 0xFFFFFFFFu);
      if (item_ext[b] < item_ext[a]) std::swap(a, b);
      edges.Add(item_node[a], edge::kCoPurchasedWith, item_node[b], c, c);
    }
  }
  // KG triples: entities and their relations (dynamic edge types).
  {
    Stmt st = db.Prepare("SELECT id, name FROM entities");
    while (st.Step()) entity_node[st.Int(0)] = nodes.Add(NodeType::kEntity, st.Text(1), st.Text(1));
    Stmt rel = db.Prepare("SELECT id, name FROM relations ORDER BY id");
    Stmt et = db.Prepare("INSERT INTO graph_edge_types(id,name) VALUES(?,?)");
    std::unordered_map<int64_t, EdgeTypeId> rel_type;
    EdgeTypeId next = kFirstDynamicEdgeType;
    while (rel.Step()) {
      // A relation named exactly as a built-in edge type (MADE_BY between two entities) is that
      // type: the text stage's edges already join entities with MADE_BY, MENTIONS and
      // HAS_ATTRIBUTE. (A second row of that name in graph_edge_types failed every build.)
      std::optional<EdgeTypeId> builtin;
      for (EdgeTypeId t = 0; t < edge::kNumBuiltin && !builtin; ++t)
        if (rel.Text(1) == BuiltinEdgeTypeName(t)) builtin = t;
      if (builtin) {
        rel_type[rel.Int(0)] = *builtin;
        continue;
      }
      if (next == UINT16_MAX) return Status::InvalidArgument("more than 65,000 KG relation types");
      rel_type[rel.Int(0)] = next;
      et.Bind(1, static_cast<int64_t>(next)).Bind(2, rel.Text(1)).Run();
      ++next;
    }
    Stmt tr = db.Prepare("SELECT head, relation, tail FROM triples");
    while (tr.Step()) edges.Add(entity_node[tr.Int(0)], rel_type[tr.Int(1)], entity_node[tr.Int(2)]);
  }
  // Text-stage edges (kgprofile text extract, docs/text.md): a title's edges start at its
  // product; a review's at its author (else its product). Targets are the catalogue's own
  // brand/category/attribute nodes when the gazetteer found them, Entity nodes otherwise.
  {
    Stmt st = db.Prepare(
        "SELECT e.source, e.source_id, t.user_id, t.item_id, e.relation, e.target_type, e.target_key, e.surface, t.ts "
        "FROM text_edges e LEFT JOIN texts t ON e.source = 'text' AND t.id = e.source_id");
    while (st.Step()) {
      int64_t src = 0;
      if (st.Text(0) == "item") src = item_node[st.Int(1)];
      else if (!st.IsNull(2)) src = user_node[st.Int(2)];
      else if (!st.IsNull(3)) src = item_node[st.Int(3)];
      auto type = ParseNodeType(st.Text(5));
      std::optional<EdgeTypeId> rel;
      for (EdgeTypeId t : {edge::kMentions, edge::kMadeBy, edge::kHasAttribute})
        if (st.Text(4) == BuiltinEdgeTypeName(t)) rel = t;
      if (!src || !type || !rel) continue;
      std::string_view label = *type == NodeType::kEntity ? st.Text(7) : st.Text(6);
      int64_t dst = nodes.Add(*type, st.Text(6), label);
      std::optional<int64_t> ts;
      if (!st.IsNull(8)) ts = st.Int(8);
      edges.AddMaybeRepeat(src, *rel, dst, ts);
    }
  }
  txn.Commit();

  if (report) {
    *report = GraphBuildReport{};
    for (auto& [t, c] : nodes.counts_) {
      report->nodes_by_type[NodeTypeName(t)] = c;
      report->nodes += c;
    }
    Stmt names = db.Prepare("SELECT name FROM graph_edge_types WHERE id=?");
    for (auto& [t, c] : edges.counts_) {
      names.Bind(1, static_cast<int64_t>(t));
      std::string name = names.Step() ? std::string(names.Text(0)) : fmt::format("type{}", t);
      names.Reset();
      report->edges_by_type[name] += c;
    }
    report->edges = static_cast<uint64_t>(db.QueryInt("SELECT count(*) FROM graph_edges"));
    report->events = nevents;
    report->seconds = SecondsSince(t0);
  }
  return Status::Ok();
}

}  // namespace kgp
