// The id maps of a workspace the recommender needs: store ids (users.id, items.id) ↔ external
// ids ↔ graph nodes, plus item titles and the nodes' Chinese and English names (graph/names.h)
// for readable output. Read once from the store and graph.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/string_map.h"
#include "graph/graph.h"
#include "graph/names.h"
#include "store/db.h"

namespace kgp::rec {

class Catalog {
 public:
  static Result<Catalog> Load(Db& db, const Graph& g);

  size_t num_users() const { return user_ext_.size(); }
  size_t num_items() const { return item_ext_.size(); }
  // "" for a user the catalogue does not know (kNewUser).
  const std::string& UserExt(uint32_t u) const {
    static const std::string kNone;
    return u < user_ext_.size() ? user_ext_[u] : kNone;
  }
  const std::string& ItemExt(uint32_t i) const { return item_ext_[i]; }
  const std::string& ItemTitle(uint32_t i) const { return item_title_[i]; }
  std::optional<uint32_t> FindUser(std::string_view ext) const;
  std::optional<uint32_t> FindItem(std::string_view ext) const;
  // Graph node of a user or item; kNoNode-like UINT32_MAX when the graph lacks it.
  NodeId UserNode(uint32_t u) const { return u < user_node_.size() ? user_node_[u] : UINT32_MAX; }
  NodeId ItemNode(uint32_t i) const { return i < item_node_.size() ? item_node_[i] : UINT32_MAX; }
  // Store item id of a product node; nullopt for other nodes.
  std::optional<uint32_t> ItemOfNode(NodeId n) const;
  const NodeNames& names() const { return names_; }

 private:
  std::vector<std::string> user_ext_, item_ext_, item_title_;
  std::vector<NodeId> user_node_, item_node_;
  StringMap<uint32_t> user_ids_, item_ids_;
  std::vector<std::pair<NodeId, uint32_t>> node_item_;  // sorted by node
  NodeNames names_;
};

}  // namespace kgp::rec
