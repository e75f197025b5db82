// A saved profile state against the graph it is used with (builder.h DescribeNodes,
// MatchGraph): tags are node ids, and `graph build` numbers nodes anew.
#include <algorithm>

#include "common/log.h"
#include "profile/builder.h"

namespace kgp {
namespace {

// The node types a tag or repurchase category can be (ItemIndex).
bool TagType(NodeType t) {
  return t == NodeType::kCategory || t == NodeType::kBrand || t == NodeType::kAttribute || t == NodeType::kEntity;
}

}  // namespace

void DescribeNodes(const Graph& g, ProfileSet* set) {
  set->node_specs.clear();
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if (TagType(g.type(n))) set->node_specs.emplace_back(n, g.Spec(n));
}

NodeId NodeRemap::operator()(NodeId old) const {
  auto it = std::lower_bound(from.begin(), from.end(), old);
  return it != from.end() && *it == old ? to[static_cast<size_t>(it - from.begin())] : kNoNode;
}

NodeRemap GraphRemap(const Graph& g, const ProfileSet& set) {
  bool same = true;
  for (const auto& [id, spec] : set.node_specs)
    if (id >= g.num_nodes() || !TagType(g.type(id)) || g.Spec(id) != spec) {
      same = false;
      break;
    }
  NodeRemap r;
  if (same) return r;
  std::vector<std::pair<NodeId, NodeId>> pairs;
  pairs.reserve(set.node_specs.size());
  for (const auto& [id, spec] : set.node_specs) {
    const auto n = g.FindSpec(spec);
    pairs.emplace_back(id, n && TagType(g.type(*n)) ? *n : kNoNode);
  }
  std::sort(pairs.begin(), pairs.end());
  for (const auto& [from, to] : pairs) r.from.push_back(from), r.to.push_back(to);
  return r;
}

size_t RemapState(const NodeRemap& to, UserState* s) {
  const size_t before = s->tags.size();
  for (TagStat& t : s->tags) t.tag = to(t.tag);
  std::erase_if(s->tags, [](const TagStat& t) { return t.tag == kNoNode; });
  // Specs are unique in a graph, so no two tags land on one node; the order changes.
  std::sort(s->tags.begin(), s->tags.end(), [](const TagStat& a, const TagStat& b) { return a.tag < b.tag; });
  for (Repurchase& r : s->repurchase) r.category = to(r.category);  // kept in first-purchase order
  std::erase_if(s->repurchase, [](const Repurchase& r) { return r.category == kNoNode; });
  return before - s->tags.size();
}

void MatchGraph(const Graph& g, ProfileSet* set) {
  const NodeRemap to = GraphRemap(g, *set);
  if (to.empty()) return;
  size_t dropped = 0;
  for (UserState& s : set->states) dropped += RemapState(to, &s);
  DescribeNodes(g, set);
  LOG_INF("profile state: the graph was rebuilt since it was saved; tags follow their nodes' new ids, {} dropped "
          "(nodes the graph no longer has)", dropped);
}

}  // namespace kgp
