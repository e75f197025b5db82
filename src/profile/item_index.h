// The item side of profiles, read once from the knowledge graph: for every item (store id,
// items.id) the tags an event on it touches (its categories at every level of the tree, brand,
// attributes, text entities: graph nodes), its leaf category and its price position within
// that category's price bands. Entity neighbours of any edge type count, so tags from the text
// stage (MENTIONS) appear without changes here.
// Immutable after Build(); shared read-only between threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "graph/graph.h"
#include "store/db.h"

namespace kgp {

constexpr NodeId kNoNode = UINT32_MAX;

class ItemIndex {
 public:
  // REQUIRES: g outlives the index (tag names are read from it).
  static Result<ItemIndex> Build(Db& db, const Graph& g);

  bool Has(uint32_t item) const { return item < items_.size(); }
  // Whether the graph has the item's product node: false for a product ingested since the last
  // `graph build` (its events touch no tags until the graph is built again).
  bool InGraph(uint32_t item) const { return Has(item) && items_[item].in_graph; }
  std::span<const NodeId> Tags(uint32_t item) const {
    if (!Has(item)) return {};
    const Info& i = items_[item];
    return {tags_.data() + i.off, i.n};
  }
  // The attribute tags of a variant (events.variant: the size or colour the event was about)
  // that are variant values of its item, sorted; the item's single-valued attributes are among
  // Tags() already. Empty for 0 (no variant) and unknown ids.
  std::span<const NodeId> VariantTags(uint32_t variant) const {
    if (variant == 0 || size_t{variant} + 1 >= var_off_.size()) return {};
    return {var_tags_.data() + var_off_[variant], var_off_[variant + 1] - var_off_[variant]};
  }
  // Whether Build() saw the variant (the variants table then); the service creates variants later.
  bool HasVariant(uint32_t variant) const { return variant != 0 && size_t{variant} + 1 < var_off_.size(); }
  // What VariantTags() would give for a variant of item made of these key/value pairs: the
  // attribute nodes the graph has for them, less the item's own tags, sorted, each once.
  std::vector<NodeId> VariantTagsOf(uint32_t item, std::span<const std::pair<std::string, std::string>> pairs) const;
  NodeId Leaf(uint32_t item) const { return Has(item) ? items_[item].leaf : kNoNode; }
  // (band − 0.5) / bands in the leaf's price bands; negative when the item has no band.
  float PricePos(uint32_t item) const { return Has(item) ? items_[item].price_pos : -1.0f; }
  // The catalogue's own price (items.catalog_price), known before any event: the up-front part
  // of the discount reference (profile/ref_price.h); negative when the catalogue gave none.
  float CatalogPrice(uint32_t item) const { return Has(item) ? items_[item].catalog_price : -1.0f; }

  const Graph& graph() const { return *g_; }
  int Depth(NodeId category) const { return depth_[category]; }  // 0 = root; -1: not a category
  bool IsLeafCategory(NodeId category) const { return leaf_cat_[category] != 0; }
  size_t num_items() const { return items_.size(); }

 private:
  // Appends the attribute node of key=value to out when the graph has it and item's own tags
  // leave it out (a value the item comes in several of). kv: scratch.
  void AppendVariantTag(uint32_t item, std::string_view key, std::string_view value, std::string& kv,
                        std::vector<NodeId>& out) const;
  struct Info {
    uint32_t off = 0, n = 0;
    NodeId leaf = kNoNode;
    float price_pos = -1.0f, catalog_price = -1.0f;
    bool in_graph = false;
  };
  const Graph* g_ = nullptr;
  std::vector<Info> items_;  // by items.id
  std::vector<NodeId> tags_;
  std::vector<uint32_t> var_off_;  // by variants.id: its tags are var_tags_[off[v], off[v + 1])
  std::vector<NodeId> var_tags_;
  std::vector<int8_t> depth_;     // by node
  std::vector<uint8_t> leaf_cat_;  // by node
};

}  // namespace kgp
