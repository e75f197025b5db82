#include "recommend/catalog.h"

#include <algorithm>

namespace kgp::rec {

Result<Catalog> Catalog::Load(Db& db, const Graph& g) {
  Catalog c;
  {
    Stmt st = db.Prepare("SELECT id, ext_id FROM users ORDER BY id");
    while (st.Step()) {
      const int64_t id = st.Int(0);
      if (id < 0 || id >= UINT32_MAX) continue;
      const auto u = static_cast<uint32_t>(id);
      if (c.user_ext_.size() <= u) c.user_ext_.resize(u + 1), c.user_node_.resize(u + 1, UINT32_MAX);
      c.user_ext_[u] = std::string(st.Text(1));
      if (!c.user_ids_.Find(c.user_ext_[u])) c.user_ids_.Insert(c.user_ext_[u], u);
      if (auto n = g.Find(NodeType::kUser, c.user_ext_[u])) c.user_node_[u] = *n;
    }
  }
  Stmt st = db.Prepare("SELECT id, ext_id, coalesce(title, '') FROM items ORDER BY id");
  while (st.Step()) {
    const int64_t id = st.Int(0);
    if (id < 0 || id >= UINT32_MAX) continue;
    const auto i = static_cast<uint32_t>(id);
    if (c.item_ext_.size() <= i) {
      c.item_ext_.resize(i + 1), c.item_title_.resize(i + 1), c.item_node_.resize(i + 1, UINT32_MAX);
    }
    c.item_ext_[i] = std::string(st.Text(1));
    c.item_title_[i] = std::string(st.Text(2));
    if (!c.item_ids_.Find(c.item_ext_[i])) c.item_ids_.Insert(c.item_ext_[i], i);
    if (auto n = g.Find(NodeType::kProduct, c.item_ext_[i])) {
      c.item_node_[i] = *n;
      c.node_item_.emplace_back(*n, i);
    }
  }
  std::sort(c.node_item_.begin(), c.node_item_.end());
  auto names = NodeNames::Load(db, g);
  if (!names.ok()) return names.status();
  c.names_ = std::move(*names);
  return c;
}

std::optional<uint32_t> Catalog::FindUser(std::string_view ext) const {
  if (const uint32_t* u = user_ids_.Find(ext)) return *u;
  return std::nullopt;
}
std::optional<uint32_t> Catalog::FindItem(std::string_view ext) const {
  if (const uint32_t* i = item_ids_.Find(ext)) return *i;
  return std::nullopt;
}
std::optional<uint32_t> Catalog::ItemOfNode(NodeId n) const {
  auto it = std::lower_bound(node_item_.begin(), node_item_.end(), std::make_pair(n, 0u));
  if (it != node_item_.end() && it->first == n) return it->second;
  return std::nullopt;
}

}  // namespace kgp::rec
