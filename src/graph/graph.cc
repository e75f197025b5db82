#include "graph/graph.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp {

std::string_view Graph::key(NodeId n) const {
  return {text_.data() + key_off_[n], label_off_[n] - key_off_[n]};
}

std::string_view Graph::label(NodeId n) const {
  return {text_.data() + label_off_[n], key_off_[n + 1] - label_off_[n]};
}

Result<Graph> Graph::Load(Db& db, const GraphLoadOptions& opts) {
  Graph g;
  size_t n = static_cast<size_t>(db.QueryInt("SELECT count(*) FROM graph_nodes"));
  g.types_.reserve(n);
  g.store_ids_.reserve(n);
  std::unordered_map<int64_t, NodeId> by_store_id;
  by_store_id.reserve(n);
  // Keys and labels are laid out as key0 label0 key1 label1 …; key_off_/label_off_ mark starts.
  std::vector<uint64_t> key_len;
  {
    Stmt st = db.Prepare("SELECT id, type, key, coalesce(label, '') FROM graph_nodes ORDER BY id");
    while (st.Step()) {
      int t = static_cast<int>(st.Int(1));
      if (t < 0 || t >= kNumNodeTypes)
        return Status::Corruption(fmt::format("graph_nodes id {}: unknown node type {}", st.Int(0), t));
      NodeId id = static_cast<NodeId>(g.types_.size());
      by_store_id.emplace(st.Int(0), id);
      g.types_.push_back(static_cast<NodeType>(t));
      g.store_ids_.push_back(st.Int(0));
      std::string_view k = st.Text(2), l = st.Text(3);
      g.key_off_.push_back(g.text_.size());
      g.text_.insert(g.text_.end(), k.begin(), k.end());
      g.label_off_.push_back(g.text_.size());
      g.text_.insert(g.text_.end(), l.begin(), l.end());
    }
  }
  g.key_off_.push_back(g.text_.size());
  g.label_off_.push_back(g.text_.size());
  n = g.types_.size();
  g.index_.resize(kNumNodeTypes);
  for (NodeId i = 0; i < n; ++i) g.index_[static_cast<int>(g.types_[i])].emplace(g.key(i), i);

  {
    Stmt st = db.Prepare("SELECT id, name FROM graph_edge_types ORDER BY id");
    while (st.Step()) g.edge_types_.emplace_back(static_cast<EdgeTypeId>(st.Int(0)), std::string(st.Text(1)));
  }
  {
    constexpr const char* kColumns = "SELECT src, type, dst, count, coalesce(first_ts,0), coalesce(last_ts,0), weight FROM graph_edges";
    const auto read = [&](Stmt& st) -> Status {
      while (st.Step()) {
        auto s = by_store_id.find(st.Int(0));
        auto d = by_store_id.find(st.Int(2));
        if (s == by_store_id.end() || d == by_store_id.end())
          return Status::Corruption(fmt::format("graph_edges ({}, {}, {}): unknown node", st.Int(0),
                                                st.Int(1), st.Int(2)));
        g.edges_.push_back(EdgeData{s->second, d->second, static_cast<EdgeTypeId>(st.Int(1)),
                                    static_cast<uint32_t>(st.Int(3)), st.Int(4), st.Int(5),
                                    static_cast<float>(st.Double(6))});
      }
      return Status::Ok();
    };
    if (!opts.users) {
      g.edges_.reserve(static_cast<size_t>(db.QueryInt("SELECT count(*) FROM graph_edges")));
      Stmt st = db.Prepare(kColumns);
      KGP_RETURN_IF_ERROR(read(st));
      db.ReleaseCache();  // the edges' pages: what follows allocates instead
    } else {
      // Source by source, in store id order as the whole table's scan (its primary key
      // starts with src): a lookup per node that is not a user, and per user asked for.
      std::vector<bool> wanted(n, false);
      for (NodeId i = 0; i < n; ++i) wanted[i] = g.types_[i] != NodeType::kUser;
      for (const std::string& u : *opts.users)
        if (auto i = g.Find(NodeType::kUser, u)) wanted[*i] = true;
      g.partial_ = true;
      Stmt st = db.Prepare(std::string(kColumns) + " WHERE src = ?");
      for (NodeId i = 0; i < n; ++i) {
        if (!wanted[i]) continue;
        st.Reset();
        st.Bind(1, g.store_ids_[i]);
        KGP_RETURN_IF_ERROR(read(st));
      }
    }
  }
  // CSR over both directions.
  g.offsets_.assign(n + 1, 0);
  for (const auto& e : g.edges_) {
    ++g.offsets_[e.src + 1];
    ++g.offsets_[e.dst + 1];
  }
  for (size_t i = 0; i < n; ++i) g.offsets_[i + 1] += g.offsets_[i];
  g.adj_.resize(g.offsets_[n]);
  std::vector<uint64_t> fill(g.offsets_.begin(), g.offsets_.end() - 1);
  for (uint32_t i = 0; i < g.edges_.size(); ++i) {
    const auto& e = g.edges_[i];
    g.adj_[fill[e.src]++] = Adjacent{e.type, true, e.dst, i};
    g.adj_[fill[e.dst]++] = Adjacent{e.type, false, e.src, i};
  }
  for (size_t i = 0; i < n; ++i) {
    std::sort(g.adj_.begin() + static_cast<std::ptrdiff_t>(g.offsets_[i]),
              g.adj_.begin() + static_cast<std::ptrdiff_t>(g.offsets_[i + 1]),
              [](const Adjacent& a, const Adjacent& b) {
                return std::tie(a.type, a.other, a.outgoing) < std::tie(b.type, b.other, b.outgoing);
              });
  }
  return g;
}

std::optional<NodeId> Graph::Find(NodeType t, std::string_view k) const {
  const auto& idx = index_[static_cast<int>(t)];
  auto it = idx.find(k);
  if (it == idx.end()) return std::nullopt;
  return it->second;
}

std::optional<NodeId> Graph::FindSpec(std::string_view spec) const {
  size_t colon = spec.find(':');
  if (colon != std::string_view::npos) {
    if (auto t = ParseNodeType(spec.substr(0, colon))) return Find(*t, spec.substr(colon + 1));
  }
  for (NodeType t : {NodeType::kUser, NodeType::kProduct, NodeType::kCategory, NodeType::kBrand})
    if (auto n = Find(t, spec)) return n;
  return std::nullopt;
}

std::string Graph::Spec(NodeId n) const { return fmt::format("{}:{}", NodeTypePrefix(type(n)), key(n)); }

std::string_view Graph::EdgeTypeName(EdgeTypeId t) const {
  if (const char* b = BuiltinEdgeTypeName(t)) return b;
  for (const auto& [id, name] : edge_types_)
    if (id == t) return name;
  return "?";
}

std::optional<EdgeTypeId> Graph::FindEdgeType(std::string_view name) const {
  // The exact name first (a KG relation "Rel" beside "rel", or "viewed" beside VIEWED), then
  // the first that differs only in case.
  for (EdgeTypeId t = 0; t < edge::kNumBuiltin; ++t)
    if (BuiltinEdgeTypeName(t) == name) return t;
  for (const auto& [id, nm] : edge_types_)
    if (nm == name) return id;
  std::string l = ToLowerAscii(name);
  for (EdgeTypeId t = 0; t < edge::kNumBuiltin; ++t)
    if (ToLowerAscii(BuiltinEdgeTypeName(t)) == l) return t;
  for (const auto& [id, nm] : edge_types_)
    if (ToLowerAscii(nm) == l) return id;
  return std::nullopt;
}

size_t Graph::MemoryBytes() const {
  size_t b = types_.capacity() + store_ids_.capacity() * 8 + (key_off_.capacity() + label_off_.capacity()) * 8 +
             text_.capacity() + edges_.capacity() * sizeof(EdgeData) + offsets_.capacity() * 8 +
             adj_.capacity() * sizeof(Adjacent);
  for (const auto& m : index_) b += m.size() * (sizeof(std::string_view) + sizeof(NodeId) + 16);
  return b;
}

std::vector<NodeId> SingleValuedAttributes(const Graph& g, std::span<const NodeId> attrs) {
  std::vector<std::pair<std::string_view, size_t>> keys;  // (key, position in attrs)
  keys.reserve(attrs.size());
  for (size_t i = 0; i < attrs.size(); ++i) keys.emplace_back(AttributeKey(g.key(attrs[i])), i);
  std::sort(keys.begin(), keys.end());
  std::vector<char> keep(attrs.size(), 0);
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j].first == keys[i].first) ++j;
    if (j - i == 1) keep[keys[i].second] = 1;
    i = j;
  }
  std::vector<NodeId> out;
  for (size_t i = 0; i < attrs.size(); ++i)
    if (keep[i]) out.push_back(attrs[i]);
  return out;
}

bool IsVariantAttribute(const Graph& g, NodeId item, NodeId attr) {
  const std::string_view key = AttributeKey(g.key(attr));
  size_t same = 0;
  for (const Adjacent& a : g.Neighbors(item))
    if (a.type == edge::kHasAttribute && a.outgoing && AttributeKey(g.key(a.other)) == key) ++same;
  return same > 1;
}

}  // namespace kgp
