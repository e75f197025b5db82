#include "recommend/explain.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "graph/paths.h"
#include "graph/schema.h"

namespace kgp::rec {

namespace {

// What a shopper did to something, as a phrase with "{}" for the object: the user's own action
// ("added {} to your cart"), another shopper's ("added {} to their cart"), and in Chinese (the
// verb before the object).
struct Verb {
  std::string you, other, zh;
};
Verb VerbOf(const Graph& g, EdgeTypeId t) {
  switch (t) {
    case edge::kViewed: return {"viewed {}", "viewed {}", "浏览过"};
    case edge::kCarted: return {"added {} to your cart", "added {} to their cart", "加购过"};
    case edge::kPurchased: return {"bought {}", "bought {}", "购买过"};
    case edge::kFavorited: return {"saved {}", "saved {}", "收藏过"};
    case edge::kRated: return {"rated {}", "rated {}", "评分过"};
    case edge::kReviewed: return {"reviewed {}", "reviewed {}", "评价过"};
    case edge::kMentions: return {"mentioned {}", "mentioned {}", "提到过"};
    default: break;
  }
  const std::string name(g.EdgeTypeName(t));
  return {name + " {}", name + " {}", name};
}

// pattern with its "{}" replaced by object.
std::string Say(const std::string& pattern, const std::string& object) {
  std::string out = pattern;
  if (const size_t at = out.find("{}"); at != std::string::npos) out.replace(at, 2, object);
  return out;
}

// A category is "one of your main interests" from this share of the user's activity on.
constexpr float kMainInterestShare = 0.15f;

}  // namespace

std::string NodeName(const NodeNames& names, NodeId n, std::string_view lang) {
  const Graph& g = names.graph();
  const bool zh = lang == "zh";
  // Only an id to go by (a product without a title, a category known by its source id): say
  // what it is, not a bare number or "id:2053…" in quotes.
  if (!names.HasName(n)) {
    std::string_view key = g.key(n);
    if (g.type(n) == NodeType::kProduct) return (zh ? "商品" : "product ") + std::string(key);
    if (g.type(n) == NodeType::kCategory) {  // the Chinese sentences add 类目 themselves
      if (key.substr(0, 3) == "id:") key.remove_prefix(3);
      return (zh ? "编号" : "category ") + std::string(key);
    }
  }
  const std::string name = names.Name(n, lang);
  if (g.type(n) == NodeType::kProduct) return fmt::format("“{}”", name);
  return name;
}

namespace {

// "color=blue" → {"color", "blue"} (attribute nodes are keyed "key=value").
std::pair<std::string, std::string> AttributeParts(std::string_view kv) {
  const std::string_view key = AttributeKey(kv);
  return {std::string(key), std::string(kv.size() > key.size() ? kv.substr(key.size() + 1) : kv)};
}

// A node's name in both languages.
struct Named {
  std::string en, zh;
};
Named Both(const NodeNames& names, NodeId n) { return {NodeName(names, n, "en"), NodeName(names, n, "zh")}; }

// The cohort sentences: a shopper who shares a trait with the user (trait node t) v2 the item.
void DescribeCohort(const NodeNames& names, NodeId t, const Verb& v2, const Named& item, Explanation& x) {
  const Graph& g = names.graph();
  const Named trait = Both(names, t);
  const std::string did_en = Say(v2.other, item.en), did_zh = v2.zh + item.zh;
  switch (g.type(t)) {
    case NodeType::kAgeGroup:
      x.en = fmt::format("A shopper of your age group ({}) also {}.", trait.en, did_en);
      x.zh = fmt::format("一位与您同龄段（{}）的顾客也{}。", trait.zh, did_zh);
      break;
    case NodeType::kGender:
      x.en = fmt::format("A shopper of your gender also {}.", did_en);
      x.zh = fmt::format("一位与您同性别的顾客也{}。", did_zh);
      break;
    case NodeType::kCity: {
      // A city the tables cannot write in the sentence's language is "your city".
      const std::string en = TraitNameIn(NodeType::kCity, g.key(t), "en"), zh = TraitNameIn(NodeType::kCity, g.key(t), "zh");
      x.en = !en.empty() ? fmt::format("A shopper who also lives in {} {}.", en, did_en)
                         : fmt::format("A shopper from your city also {}.", did_en);
      x.zh = !zh.empty() ? fmt::format("一位同样常住{}的顾客也{}。", zh, did_zh) : fmt::format("一位与您同城的顾客也{}。", did_zh);
      break;
    }
    case NodeType::kOccupation: {
      const std::string en = OccupationPhrase(TraitNameIn(NodeType::kOccupation, g.key(t), "en"));
      const std::string zh = TraitNameIn(NodeType::kOccupation, g.key(t), "zh");
      x.en = !en.empty() ? fmt::format("A shopper who, like you, {}, also {}.", en, did_en)
                         : fmt::format("A shopper with your occupation also {}.", did_en);
      x.zh = !zh.empty() ? fmt::format("一位与您同为{}的顾客也{}。", zh, did_zh) : fmt::format("一位与您职业相同的顾客也{}。", did_zh);
      break;
    }
    default:
      x.en = fmt::format("A shopper who shares {} with you also {}.", trait.en, did_en);
      x.zh = fmt::format("一位与您同属{}的顾客也{}。", trait.zh, did_zh);
      break;
  }
}

// Sentences for the common path shapes; empty kind when the shape has no template.
Explanation Describe(const NodeNames& names, const Path& p) {
  const Graph& g = names.graph();
  Explanation x;
  x.path = FormatPath(g, p, /*hide_other_users=*/true);
  const auto& s = p.steps;
  if (s.empty()) return x;
  const EdgeTypeId first = g.edge(s[0].edge).type;
  const Verb v = VerbOf(g, first);
  const Named item = Both(names, s.back().node);
  if (s.size() == 1) {
    x.kind = "seen";
    x.en = fmt::format("You {} before.", Say(v.you, item.en));
    x.zh = fmt::format("您之前{}{}。", v.zh, item.zh);
    return x;
  }
  const Named via = Both(names, s[0].node);
  const NodeType via_type = g.type(s[0].node);
  if (s.size() == 2 && via_type == NodeType::kBrand && g.edge(s[1].edge).type == edge::kMadeBy) {
    x.kind = "brand";
    x.en = fmt::format("You {}; {} is made by {}.", Say(v.you, via.en), item.en, via.en);
    x.zh = fmt::format("您{}{}，{}正是{}的产品。", v.zh, via.zh, item.zh, via.zh);
    return x;
  }
  // The user named a category or an entity (review, post) or is interested in a category.
  if (s.size() == 2 && (via_type == NodeType::kCategory || via_type == NodeType::kEntity)) {
    const EdgeTypeId link = g.edge(s[1].edge).type;
    const bool in_category = link == edge::kBelongsTo && via_type == NodeType::kCategory;
    x.kind = in_category ? "category" : "entity";
    if (first == edge::kInterestedIn) {
      x.en = in_category ? fmt::format("You are interested in {}; {} is in it.", via.en, item.en)
                         : fmt::format("You are interested in {}; {} is about it.", via.en, item.en);
      x.zh = in_category ? fmt::format("您对{}感兴趣，{}正属于这一类目。", via.zh, item.zh)
                         : fmt::format("您对{}感兴趣，{}与之相关。", via.zh, item.zh);
    } else {
      x.en = in_category ? fmt::format("You {}; {} is in it.", Say(v.you, via.en), item.en)
                         : fmt::format("You {}; {} is about it.", Say(v.you, via.en), item.en);
      x.zh = in_category ? fmt::format("您{}{}，{}正属于这一类目。", v.zh, via.zh, item.zh)
                         : fmt::format("您{}{}，{}与之相关。", v.zh, via.zh, item.zh);
    }
    return x;
  }
  // The user mentioned an attribute value ("beige" in a review) the item has.
  if (s.size() == 2 && via_type == NodeType::kAttribute && g.edge(s[1].edge).type == edge::kHasAttribute) {
    const auto [key, value] = AttributeParts(g.key(s[0].node));
    x.kind = "attribute";
    x.en = fmt::format("You {}; {} has that {}.", Say(v.you, value), item.en, key);
    x.zh = fmt::format("您{}“{}”，{}正具有这一特点。", v.zh, value, item.zh);
    return x;
  }
  if (s.size() == 2 && via_type == NodeType::kProduct) {
    const EdgeTypeId link = g.edge(s[1].edge).type;
    if (link == edge::kCoPurchasedWith) {
      x.kind = "co_purchase";
      x.en = fmt::format("You {}; shoppers often buy it together with {}.", Say(v.you, via.en), item.en);
      x.zh = fmt::format("您{}{}，很多顾客会把它和{}一起购买。", v.zh, via.zh, item.zh);
    }
    return x;
  }
  // A shopper who shares a trait with the user (age group, gender, city, …) touched the item.
  if (s.size() == 3 && g.type(s[1].node) == NodeType::kUser && via_type != NodeType::kProduct) {
    x.kind = "cohort";
    DescribeCohort(names, s[0].node, VerbOf(g, g.edge(s[2].edge).type), item, x);
    return x;
  }
  if (s.size() == 3 && via_type == NodeType::kProduct) {
    const NodeId mid = s[1].node;
    const Named m = Both(names, mid);
    const std::string you_en = Say(v.you, via.en);
    switch (g.type(mid)) {
      case NodeType::kBrand:
        x.kind = "brand";
        x.en = fmt::format("You {}; {} is also made by {}.", you_en, item.en, m.en);
        x.zh = fmt::format("您{}{}，{}同样来自{}品牌。", v.zh, via.zh, item.zh, m.zh);
        break;
      case NodeType::kCategory:
        x.kind = "category";
        x.en = fmt::format("You {}; {} is in the same category, {}.", you_en, item.en, m.en);
        x.zh = fmt::format("您{}{}，{}同属{}类目。", v.zh, via.zh, item.zh, m.zh);
        break;
      case NodeType::kAttribute: {
        const auto [key, value] = AttributeParts(g.key(mid));
        x.kind = "attribute";
        x.en = fmt::format("You {}; {} has the same {}, {}.", you_en, item.en, key, value);
        x.zh = fmt::format("您{}{}，{}与它一样具有“{}”这一特点。", v.zh, via.zh, item.zh, value);
        break;
      }
      case NodeType::kPriceBand:
        x.kind = "price_band";
        x.en = fmt::format("You {}; {} is in the same price range.", you_en, item.en);
        x.zh = fmt::format("您{}{}，{}与它价位相当。", v.zh, via.zh, item.zh);
        break;
      case NodeType::kEntity:
        x.kind = "entity";
        x.en = fmt::format("You {}; {} is also about {}.", you_en, item.en, m.en);
        x.zh = fmt::format("您{}{}，{}同样与{}相关。", v.zh, via.zh, item.zh, m.zh);
        break;
      case NodeType::kUser: {
        // One other shopper: what they did to the user's item (the edge into them), then to this one.
        const Verb theirs = VerbOf(g, g.edge(s[1].edge).type), then = VerbOf(g, g.edge(s[2].edge).type);
        x.kind = "also_bought";
        x.en = fmt::format("You {}; a shopper who {} also {}.", you_en, Say(theirs.other, "it"), Say(then.other, item.en));
        x.zh = fmt::format("您{}{}，一位{}该商品的顾客也{}{}。", v.zh, via.zh, theirs.zh, then.zh, item.zh);
        break;
      }
      default: break;
    }
  }
  return x;
}
// The share of the user's activity (weighted and decayed as their tastes are, TasteOf) on
// products in category `cat`, whichever of a product's categories it is. The ranker's feature
// counts a product in its deepest category only: where products have several (MovieLens
// genres) that understated the share, and ranked the interests otherwise than the profile does.
// On a catalogue of one category per product the two are the same.
// `events` are the user's (Engine::EventsOf), `now` the time they are measured at (NowFor).
double ActivityShareIn(const Engine& e, std::span<const ProfileEvent> events, int64_t now, NodeId cat) {
  const double half_life = e.history().options().affinity_half_life_days;
  const ItemIndex& items = e.items();
  double in = 0, all = 0;
  for (const ProfileEvent& ev : events) {
    const double w = DecayedWeight(ev, now, half_life);
    if (w <= 0) continue;
    all += w;  // every event, as the profile's total: a product without a category counts too
    const auto tags = items.Tags(ev.item);
    if (std::binary_search(tags.begin(), tags.end(), cat)) in += w;
  }
  return all > 0 ? in / all : 0;
}

}  // namespace

std::vector<Explanation> Explain(const Engine& e, uint32_t user, const Recommendation& r, size_t max_paths,
                                 std::span<const ProfileEvent> since, const std::function<bool(NodeId)>& hidden) {
  std::vector<Explanation> out;
  const Graph& g = e.graph();
  const Catalog& cat = e.catalog();
  const NodeNames& names = cat.names();
  const NodeId u = cat.UserNode(user), item = cat.ItemNode(r.item);
  const std::string ext_name = fmt::format("“{}”", cat.ItemExt(r.item));
  const Named item_name = item != UINT32_MAX ? Both(names, item) : Named{ext_name, ext_name};
  const NodeId leaf = e.items().Leaf(r.item);
  // The user's events, the history's and those posted since, merged once for every step below.
  std::vector<ProfileEvent> buf;
  const auto events = e.EventsOf(user, since, buf);

  if (r.features[kFRepurchaseDue] >= 0.5f && leaf != kNoNode) {
    const CategoryCycle* cyc = e.history().Cycle(leaf);
    // What the user did, from the events the feature came from: a purchase, else the last
    // rating or review (UserTaste::Touch::owned_ts).
    std::optional<EdgeTypeId> did;
    for (const ProfileEvent& ev : events) {
      if (ev.item != r.item) continue;
      if (ev.type == EventType::kPurchase) did = edge::kPurchased;
      else if ((ev.type == EventType::kRate || ev.type == EventType::kReview) && did != edge::kPurchased)
        did = InteractionEdgeType(ev.type);
    }
    if (did) {
      Explanation x;
      x.kind = "repurchase";
      // The path only when the graph has that edge: an event ingested after the last `graph
      // build` has none yet, and the sentence then rests on the events alone.
      bool in_graph = false;
      if (u != UINT32_MAX && item != UINT32_MAX)
        for (const Adjacent& a : g.Neighbors(u)) in_graph |= a.outgoing && a.type == *did && a.other == item;
      if (in_graph) x.path = fmt::format("{} -{}-> {}", g.Spec(u), g.EdgeTypeName(*did), g.Spec(item));
      const Verb v = VerbOf(g, *did);
      const double days = cyc ? cyc->median_days : 0;
      const Named l = Both(names, leaf);
      x.en = fmt::format("You {} before; shoppers restock {} about every {:.0f} days.", Say(v.you, item_name.en), l.en, days);
      x.zh = fmt::format("您{}{}，{}通常约每{:.0f}天回购一次。", v.zh, item_name.zh, l.zh, days);
      out.push_back(std::move(x));
    }
  }
  if (const double share = leaf == kNoNode ? 0 : ActivityShareIn(e, events, e.NowFor(since), leaf); share >= 0.05) {
    Explanation x;
    x.kind = "interest";
    // No path for a user or product the graph has no node for (new since a server started).
    if (u != UINT32_MAX && item != UINT32_MAX)
      x.path = fmt::format("{} -INTERESTED_IN({:.2f})-> {} <-BELONGS_TO- {}", g.Spec(u), share, g.Spec(leaf), g.Spec(item));
    const Named l = Both(names, leaf);
    const bool major = share >= kMainInterestShare;
    x.en = fmt::format("{} is in {}, one of your {}interests ({:.0f}% of your activity).", item_name.en, l.en, major ? "main " : "",
                       100.0 * share);
    x.zh = fmt::format("{}属于您{}的{}类目（占您行为的{:.0f}%）。", item_name.zh, major ? "常逛" : "逛过", l.zh, 100.0 * share);
    out.push_back(std::move(x));
  }
  if (u != UINT32_MAX && item != UINT32_MAX && out.size() < max_paths) {
    PathOptions po;
    po.k = max_paths + 3;
    po.max_length = 3;
    po.max_degree = 5000;
    po.max_expansions = 200000;
    po.hidden = hidden;
    for (const Path& p : KShortestPaths(g, u, item, po)) {
      if (out.size() >= max_paths) break;
      if (p.steps.size() == 1 && r.features[kFRepurchaseDue] >= 0.5f) continue;  // said above
      // "You bought X; Y shares size=7 oz with it" is false when X comes in several sizes.
      if (p.steps.size() == 3 && g.type(p.steps[1].node) == NodeType::kAttribute &&
          g.type(p.steps[0].node) == NodeType::kProduct && IsVariantAttribute(g, p.steps[0].node, p.steps[1].node))
        continue;
      Explanation x = Describe(names, p);
      // Parallel edges give the same path twice, or paths that read the same.
      bool dup = false;
      for (const auto& y : out) dup |= y.path == x.path || (!x.en.empty() && y.en == x.en);
      if (dup) continue;
      if (x.kind.empty()) {
        x.kind = "path";
        x.en = x.path;
        x.zh = x.path;
      }
      out.push_back(std::move(x));
    }
  }
  // A user the graph has no node for (one first seen after a server started): the seed among
  // their own events whose co-visitation row holds the item, said without a path.
  if (u == UINT32_MAX && out.size() < max_paths && r.features[kFCoVisit] > 0) {
    for (uint32_t seed : e.LatestItems(events)) {
      const auto row = e.CoVisited(seed);
      if (std::none_of(row.begin(), row.end(), [&](const Neighbor& n) { return n.item == r.item; })) continue;
      std::optional<EdgeTypeId> did;  // what the user last did to the seed
      for (size_t j = events.size(); j-- > 0 && !did;)
        if (events[j].item == seed) did = InteractionEdgeType(events[j].type);
      const Verb v = VerbOf(g, did.value_or(edge::kViewed));
      const NodeId sn = cat.ItemNode(seed);
      const std::string seed_ext = fmt::format("“{}”", cat.ItemExt(seed));
      const Named s = sn != UINT32_MAX ? Both(names, sn) : Named{seed_ext, seed_ext};
      Explanation x;
      x.kind = "covisit";
      x.en = fmt::format("You {}; shoppers who viewed it also viewed {}.", Say(v.you, s.en), item_name.en);
      x.zh = fmt::format("您{}{}，浏览过它的顾客也浏览了{}。", v.zh, s.zh, item_name.zh);
      out.push_back(std::move(x));
      break;
    }
  }
  if (out.size() > max_paths) out.resize(max_paths);
  return out;
}

}  // namespace kgp::rec
