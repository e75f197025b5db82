#include "recommend/explain.h"

#include <cmath>

#include <fmt/format.h>

#include "graph/paths.h"

namespace kgp::rec {

namespace {
struct Verb {
  const char *en, *zh;
};
Verb VerbOf(const Graph& g, EdgeTypeId t) {
  switch (t) {
    case edge::kViewed: return {"viewed", "浏览过"};
    case edge::kCarted: return {"added to your cart", "加购过"};
    case edge::kPurchased: return {"bought", "购买过"};
    case edge::kFavorited: return {"saved", "收藏过"};
    case edge::kRated: return {"rated", "评分过"};
    case edge::kReviewed: return {"reviewed", "评价过"};
    case edge::kMentions: return {"mentioned", "提到过"};
    default: break;
  }
  static thread_local std::string name;
  name = std::string(g.EdgeTypeName(t));
  return {name.c_str(), name.c_str()};
}
}  // namespace

std::string NodeName(const Graph& g, NodeId n) {
  std::string_view label = g.label(n);
  if (label.empty()) label = g.key(n);
  if (g.type(n) == NodeType::kProduct) return fmt::format("“{}”", label);
  return std::string(label);
}

namespace {
// Sentences for the common path shapes; empty kind when the shape has no template.
Explanation Describe(const Graph& g, const Path& p) {
  Explanation x;
  x.path = FormatPath(g, p);
  const auto& s = p.steps;
  if (s.empty()) return x;
  const EdgeTypeId first = g.edge(s[0].edge).type;
  const Verb v = VerbOf(g, first);
  const std::string item = NodeName(g, s.back().node);
  if (s.size() == 1) {
    x.kind = "seen";
    x.en = fmt::format("You {} {} before.", v.en, item);
    x.zh = fmt::format("您之前{}{}。", v.zh, item);
    return x;
  }
  const std::string via_item = NodeName(g, s[0].node);
  if (s.size() == 2 && g.type(s[0].node) == NodeType::kBrand && g.edge(s[1].edge).type == edge::kMadeBy) {
    x.kind = "brand";
    x.en = fmt::format("You {} {}; {} is made by {}.", v.en, via_item, item, via_item);
    x.zh = fmt::format("您{}{}，{}正是{}的产品。", v.zh, via_item, item, via_item);
    return x;
  }
  // The user named a category or an entity (review, post) or is interested in a category.
  if (s.size() == 2 && (g.type(s[0].node) == NodeType::kCategory || g.type(s[0].node) == NodeType::kEntity)) {
    const EdgeTypeId link = g.edge(s[1].edge).type;
    const bool in_category = link == edge::kBelongsTo && g.type(s[0].node) == NodeType::kCategory;
    x.kind = in_category ? "category" : "entity";
    if (first == edge::kInterestedIn) {
      x.en = in_category ? fmt::format("You are interested in {}; {} is in it.", via_item, item)
                         : fmt::format("You are interested in {}; {} is about it.", via_item, item);
      x.zh = in_category ? fmt::format("您对{}感兴趣，{}正属于这一类目。", via_item, item)
                         : fmt::format("您对{}感兴趣，{}与之相关。", via_item, item);
    } else {
      x.en = in_category ? fmt::format("You {} {}; {} is in it.", v.en, via_item, item)
                         : fmt::format("You {} {}; {} is about it.", v.en, via_item, item);
      x.zh = in_category ? fmt::format("您{}{}，{}正属于这一类目。", v.zh, via_item, item)
                         : fmt::format("您{}{}，{}与之相关。", v.zh, via_item, item);
    }
    return x;
  }
  if (s.size() == 2 && g.type(s[0].node) == NodeType::kProduct) {
    const EdgeTypeId link = g.edge(s[1].edge).type;
    if (link == edge::kCoPurchasedWith) {
      x.kind = "co_purchase";
      x.en = fmt::format("You {} {}; shoppers often buy it together with {}.", v.en, via_item, item);
      x.zh = fmt::format("您{}{}，很多顾客会把它和{}一起购买。", v.zh, via_item, item);
    }
    return x;
  }
  // Shoppers who share a trait with the user (age group, gender, city, …) touched the item.
  if (s.size() == 3 && g.type(s[1].node) == NodeType::kUser && g.type(s[0].node) != NodeType::kProduct) {
    const Verb v2 = VerbOf(g, g.edge(s[2].edge).type);
    x.kind = "cohort";
    switch (g.type(s[0].node)) {
      case NodeType::kAgeGroup:
        x.en = fmt::format("Shoppers of your age group ({}) also {} {}.", via_item, v2.en, item);
        x.zh = fmt::format("与您同龄段（{}）的顾客也{}{}。", via_item, v2.zh, item);
        break;
      case NodeType::kGender:
        x.en = fmt::format("Shoppers of your gender also {} {}.", v2.en, item);
        x.zh = fmt::format("与您同性别的顾客也{}{}。", v2.zh, item);
        break;
      case NodeType::kCity:
        x.en = fmt::format("Shoppers in {} also {} {}.", via_item, v2.en, item);
        x.zh = fmt::format("{}的顾客也{}{}。", via_item, v2.zh, item);
        break;
      case NodeType::kOccupation:
        x.en = fmt::format("Other shoppers working as {} also {} {}.", via_item, v2.en, item);
        x.zh = fmt::format("与您同为{}的顾客也{}{}。", via_item, v2.zh, item);
        break;
      default:
        x.en = fmt::format("Shoppers who share {} with you also {} {}.", via_item, v2.en, item);
        x.zh = fmt::format("与您同属{}的顾客也{}{}。", via_item, v2.zh, item);
        break;
    }
    return x;
  }
  if (s.size() == 3 && g.type(s[0].node) == NodeType::kProduct) {
    const NodeId mid = s[1].node;
    const std::string m = NodeName(g, mid);
    switch (g.type(mid)) {
      case NodeType::kBrand:
        x.kind = "brand";
        x.en = fmt::format("You {} {}; {} is also made by {}.", v.en, via_item, item, m);
        x.zh = fmt::format("您{}{}，{}同样来自{}品牌。", v.zh, via_item, item, m);
        break;
      case NodeType::kCategory:
        x.kind = "category";
        x.en = fmt::format("You {} {}; {} is in the same category, {}.", v.en, via_item, item, m);
        x.zh = fmt::format("您{}{}，{}同属{}类目。", v.zh, via_item, item, m);
        break;
      case NodeType::kAttribute:
        x.kind = "attribute";
        x.en = fmt::format("You {} {}; {} shares {} with it.", v.en, via_item, item, m);
        x.zh = fmt::format("您{}{}，{}与它一样具有{}。", v.zh, via_item, item, m);
        break;
      case NodeType::kEntity:
        x.kind = "entity";
        x.en = fmt::format("You {} {}; {} is also about {}.", v.en, via_item, item, m);
        x.zh = fmt::format("您{}{}，{}同样与{}相关。", v.zh, via_item, item, m);
        break;
      case NodeType::kUser: {
        const Verb v2 = VerbOf(g, g.edge(s[2].edge).type);
        x.kind = "also_bought";
        x.en = fmt::format("Shoppers who {} {} also {} {}.", v.en, via_item, v2.en, item);
        x.zh = fmt::format("{}{}的顾客也{}{}。", v.zh, via_item, v2.zh, item);
        break;
      }
      default: break;
    }
  }
  return x;
}
}  // namespace

std::vector<Explanation> Explain(const Engine& e, uint32_t user, const Recommendation& r, size_t max_paths) {
  std::vector<Explanation> out;
  const Graph& g = e.graph();
  const Catalog& cat = e.catalog();
  const NodeId u = cat.UserNode(user), item = cat.ItemNode(r.item);
  const std::string item_name = item != UINT32_MAX ? NodeName(g, item) : fmt::format("“{}”", cat.ItemExt(r.item));
  const NodeId leaf = e.items().Leaf(r.item);

  if (r.features[kFRepurchaseDue] >= 0.5f && leaf != kNoNode) {
    const CategoryCycle* cyc = e.history().Cycle(leaf);
    Explanation x;
    x.kind = "repurchase";
    x.path = fmt::format("{} -PURCHASED-> {}", u != UINT32_MAX ? g.Spec(u) : "user", item != UINT32_MAX ? g.Spec(item) : "item");
    const double days = cyc ? cyc->median_days : 0;
    x.en = fmt::format("You bought {} before; shoppers restock {} about every {:.0f} days.", item_name, NodeName(g, leaf), days);
    x.zh = fmt::format("您购买过{}，{}通常约每{:.0f}天回购一次。", item_name, NodeName(g, leaf), days);
    out.push_back(std::move(x));
  }
  if (leaf != kNoNode && r.features[kFCategory] >= 0.05f && u != UINT32_MAX && item != UINT32_MAX) {
    Explanation x;
    x.kind = "interest";
    x.path = fmt::format("{} -INTERESTED_IN({:.2f})-> {} <-BELONGS_TO- {}", g.Spec(u), r.features[kFCategory], g.Spec(leaf), g.Spec(item));
    x.en = fmt::format("{} is in {}, one of your main interests ({:.0f}% of your activity).", item_name, NodeName(g, leaf),
                       100.0 * r.features[kFCategory]);
    x.zh = fmt::format("{}属于您常逛的{}类目（占您行为的{:.0f}%）。", item_name, NodeName(g, leaf), 100.0 * r.features[kFCategory]);
    out.push_back(std::move(x));
  }
  if (u != UINT32_MAX && item != UINT32_MAX && out.size() < max_paths) {
    PathOptions po;
    po.k = max_paths + 3;
    po.max_length = 3;
    po.max_degree = 5000;
    po.max_expansions = 200000;
    for (const Path& p : KShortestPaths(g, u, item, po)) {
      if (out.size() >= max_paths) break;
      if (p.steps.size() == 1 && r.features[kFRepurchaseDue] >= 0.5f) continue;  // said above
      // "You bought X; Y shares size=7 oz with it" is false when X comes in several sizes.
      if (p.steps.size() == 3 && g.type(p.steps[1].node) == NodeType::kAttribute &&
          g.type(p.steps[0].node) == NodeType::kProduct && IsVariantAttribute(g, p.steps[0].node, p.steps[1].node))
        continue;
      Explanation x = Describe(g, p);
      bool dup = false;  // parallel edges give the same path twice
      for (const auto& y : out) dup |= y.path == x.path;
      if (dup) continue;
      if (x.kind.empty()) {
        x.kind = "path";
        x.en = x.path;
        x.zh = x.path;
      }
      out.push_back(std::move(x));
    }
  }
  if (out.size() > max_paths) out.resize(max_paths);
  return out;
}

}  // namespace kgp::rec
