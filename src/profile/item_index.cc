#include "profile/item_index.h"

#include <algorithm>
#include <string>

#include "common/strings.h"

namespace kgp {

Result<ItemIndex> ItemIndex::Build(Db& db, const Graph& g) {
  ItemIndex x;
  x.g_ = &g;
  const size_t nn = g.num_nodes();
  x.depth_.assign(nn, -1);
  x.leaf_cat_.assign(nn, 0);
  // Category depth (parents through SUBCATEGORY_OF, guarded against cycles) and leaves.
  std::vector<uint32_t> bands(nn, 0);  // price bands per category
  for (NodeId n = 0; n < nn; ++n) {
    if (g.type(n) != NodeType::kCategory) continue;
    int d = 0;
    NodeId cur = n;
    for (bool up = true; up && d < 32;) {
      up = false;
      for (const Adjacent& a : g.Neighbors(cur))
        if (a.type == edge::kSubcategoryOf && a.outgoing) {
          cur = a.other, ++d, up = true;
          break;
        }
    }
    x.depth_[n] = static_cast<int8_t>(std::min(d, 127));
    bool has_child = false;
    for (const Adjacent& a : g.Neighbors(n)) {
      if (a.type == edge::kSubcategoryOf && !a.outgoing) has_child = true;
      if (a.type == edge::kBelongsTo && !a.outgoing && g.type(a.other) == NodeType::kPriceBand) ++bands[n];
    }
    x.leaf_cat_[n] = !has_child;
  }

  Stmt st = db.Prepare("SELECT id, ext_id, catalog_price FROM items ORDER BY id");
  std::vector<NodeId> cats, attrs;
  while (st.Step()) {
    const int64_t id = st.Int(0);
    if (id < 0 || id >= UINT32_MAX) continue;
    if (x.items_.size() <= static_cast<size_t>(id)) x.items_.resize(static_cast<size_t>(id) + 1);
    Info& info = x.items_[static_cast<size_t>(id)];
    info.off = static_cast<uint32_t>(x.tags_.size());
    if (!st.IsNull(2) && st.Double(2) > 0) info.catalog_price = static_cast<float>(st.Double(2));
    auto node = g.Find(NodeType::kProduct, st.Text(1));
    if (!node) continue;
    info.in_graph = true;
    cats.clear();
    for (const Adjacent& a : g.Neighbors(*node)) {
      const NodeType t = g.type(a.other);
      if (a.type == edge::kBelongsTo && a.outgoing && t == NodeType::kCategory) {
        cats.push_back(a.other);
      } else if (a.type == edge::kHasAttribute && a.outgoing) {
        attrs.push_back(a.other);
      } else if ((a.type == edge::kMadeBy && a.outgoing) || t == NodeType::kEntity) {
        x.tags_.push_back(a.other);
      } else if (a.type == edge::kInPriceBand && a.outgoing) {
        // Key "<category code>#<band>"; the band's category is its BELONGS_TO target.
        std::string_view key = g.key(a.other);
        auto hash = key.rfind('#');
        auto b = hash == std::string_view::npos ? std::nullopt : ParseInt(key.substr(hash + 1));
        for (const Adjacent& c : g.Neighbors(a.other))
          if (b && c.type == edge::kBelongsTo && c.outgoing && bands[c.other] > 0)
            info.price_pos = static_cast<float>((static_cast<double>(*b) - 0.5) / bands[c.other]);
      }
    }
    // Attributes: only keys with one value on the item (variants say nothing; graph/graph.h).
    for (NodeId n : SingleValuedAttributes(g, attrs)) x.tags_.push_back(n);
    attrs.clear();
    // Categories with all their ancestors, each once; the deepest is the item's leaf.
    for (NodeId c : cats) {
      if (info.leaf == kNoNode || x.depth_[c] > x.depth_[info.leaf]) info.leaf = c;
      for (NodeId cur = c; cur != kNoNode;) {
        x.tags_.push_back(cur);
        NodeId parent = kNoNode;
        for (const Adjacent& a : g.Neighbors(cur))
          if (a.type == edge::kSubcategoryOf && a.outgoing) parent = a.other;
        cur = parent;
        if (x.tags_.size() - info.off > 64) break;  // cycle guard
      }
    }
    auto begin = x.tags_.begin() + info.off;
    std::sort(begin, x.tags_.end());
    x.tags_.erase(std::unique(begin, x.tags_.end()), x.tags_.end());
    info.n = static_cast<uint32_t>(x.tags_.size() - info.off);
  }

  // Variants: their values that the item's own tags leave out (the item comes in several).
  Stmt vs = db.Prepare(
      "SELECT v.id, v.item_id, a.key, a.value FROM variants v JOIN variant_attributes a ON a.variant_id = v.id "
      "ORDER BY v.id");
  x.var_off_.assign(1, 0);
  auto close_last = [&x] {  // sorts the open variant's tags, each once
    const auto start = x.var_tags_.begin() + x.var_off_.back();
    std::sort(start, x.var_tags_.end());
    x.var_tags_.erase(std::unique(start, x.var_tags_.end()), x.var_tags_.end());
  };
  std::string kv;
  while (vs.Step()) {
    const int64_t v = vs.Int(0), item = vs.Int(1);
    if (v <= 0 || v >= UINT32_MAX - 1 || item < 0 || item >= UINT32_MAX) continue;
    if (x.var_off_.size() <= static_cast<size_t>(v)) {  // a new variant starts
      close_last();
      x.var_off_.resize(static_cast<size_t>(v) + 1, static_cast<uint32_t>(x.var_tags_.size()));
    }
    x.AppendVariantTag(static_cast<uint32_t>(item), vs.Text(2), vs.Text(3), kv, x.var_tags_);
  }
  close_last();
  x.var_off_.push_back(static_cast<uint32_t>(x.var_tags_.size()));
  return x;
}

void ItemIndex::AppendVariantTag(uint32_t item, std::string_view key, std::string_view value, std::string& kv,
                                 std::vector<NodeId>& out) const {
  kv.assign(key).append("=").append(value);
  auto node = g_->Find(NodeType::kAttribute, kv);
  if (!node) return;  // a value the graph does not know (yet: built before the ingest)
  const auto own = Tags(item);
  if (!std::binary_search(own.begin(), own.end(), *node)) out.push_back(*node);
}

std::vector<NodeId> ItemIndex::VariantTagsOf(uint32_t item, std::span<const std::pair<std::string, std::string>> pairs) const {
  std::vector<NodeId> out;
  std::string kv;
  for (const auto& [k, v] : pairs) AppendVariantTag(item, k, v, kv, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kgp
