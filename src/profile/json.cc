// The profile's JSON form (docs/profile.md) and evidence paths through the graph.
#include <cmath>

#include <fmt/format.h>

#include "common/time.h"
#include "profile/profile.h"

namespace kgp {
namespace {

nlohmann::ordered_json Num(double x, int digits = kShareDigits) {
  if (std::isnan(x)) return nullptr;
  return RoundTo(x, digits);
}

nlohmann::ordered_json Str(const std::string& s) { return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s); }

// True when product → tag is one catalogue edge, or product → category → … → tag (ancestors).
std::string CatalogueHop(const Graph& g, NodeId product, NodeId tag) {
  for (const Adjacent& a : g.Neighbors(product)) {
    if (!a.outgoing && g.type(a.other) != NodeType::kEntity) continue;
    const std::string step = fmt::format(" -{}-> ", g.EdgeTypeName(a.type));
    if (a.other == tag) return step + g.Spec(tag);
    if (a.type != edge::kBelongsTo || g.type(a.other) != NodeType::kCategory) continue;
    std::string chain = step + g.Spec(a.other);
    for (NodeId cur = a.other, hops = 0; hops < 8; ++hops) {
      NodeId parent = kNoNode;
      for (const Adjacent& up : g.Neighbors(cur))
        if (up.type == edge::kSubcategoryOf && up.outgoing) parent = up.other;
      if (parent == kNoNode) break;
      chain += " -SUBCATEGORY_OF-> " + g.Spec(parent);
      if (parent == tag) return chain;
      cur = parent;
    }
  }
  return "";
}

}  // namespace

double RoundTo(double x, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(x * f) / f;
}

std::string EvidencePath(const Graph& g, NodeId user, NodeId tag) {
  float best = -1;
  std::string out;
  for (const Adjacent& a : g.Neighbors(user)) {
    if (!a.outgoing || a.type > edge::kReviewed || g.type(a.other) != NodeType::kProduct) continue;
    const EdgeData& e = g.edge(a.edge);
    if (e.weight <= best) continue;
    std::string hop = CatalogueHop(g, a.other, tag);
    if (hop.empty()) continue;
    best = e.weight;
    out = fmt::format("{} -{}(x{})-> {}{}", g.Spec(user), g.EdgeTypeName(a.type), e.count, g.Spec(a.other), hop);
  }
  return out;
}

nlohmann::ordered_json ToJson(const Graph& g, const Profile& p, size_t max_tags, size_t paths_per_kind) {
  using J = nlohmann::ordered_json;
  J j;
  j["user_id"] = p.ext_id;
  j["as_of"] = FormatTimestamp(p.as_of);
  j["demographics"] = {{"gender", Str(p.gender)}, {"age_group", Str(p.age_group)},
                       {"occupation", Str(p.occupation)}, {"city", Str(p.city)}};
  auto user_node = g.Find(NodeType::kUser, p.ext_id);
  J interests = J::object();
  for (int k = 0; k < kNumTagKinds; ++k) {
    J list = J::array();
    for (size_t i = 0; i < p.interests[k].size() && i < max_tags; ++i) {
      const Interest& t = p.interests[k][i];
      J evidence = {{"events", t.evidence}, {"last", FormatTimestamp(t.last_ts)}};
      if (user_node && i < paths_per_kind) {
        std::string path = EvidencePath(g, *user_node, t.tag);
        if (!path.empty()) evidence["path"] = path;
      }
      J one = {{"tag", g.key(t.tag)}, {"label", g.label(t.tag)}};
      if (k == static_cast<int>(TagKind::kCategory)) {
        int level = 0;
        for (NodeId cur = t.tag, hops = 0; hops < 32; ++hops) {
          NodeId parent = kNoNode;
          for (const Adjacent& a : g.Neighbors(cur))
            if (a.type == edge::kSubcategoryOf && a.outgoing) parent = a.other;
          if (parent == kNoNode) break;
          ++level, cur = parent;
        }
        one["level"] = level;
      }
      one["weight"] = Num(t.weight);
      one["confidence"] = Num(t.confidence, kScoreDigits);
      one["evidence"] = std::move(evidence);
      list.push_back(std::move(one));
    }
    interests[TagKindPlural(static_cast<TagKind>(k))] = std::move(list);
  }
  j["interests"] = std::move(interests);
  j["preferences"] = {{"price_level", Str(p.price_level)},
                      {"price_position", Num(p.price_position)},
                      {"price_sensitivity", Num(p.price_sensitivity)},
                      {"discount_response", Num(p.discount_response)},
                      {"brand_loyalty", {{"top_share", Num(p.brand_top_share)}, {"hhi", Num(p.brand_hhi)},
                                         {"entropy", Num(p.brand_entropy)}}},
                      {"novelty", Num(p.novelty)},
                      {"repeat_rate", Num(p.repeat_rate)}};
  J repurchase = J::array();
  for (auto& [c, d] : p.repurchase_days) repurchase.push_back({{"category", g.key(c)}, {"days", Num(d, kDaysMoneyDigits)}});
  j["behaviour"] = {
      {"events", p.events}, {"views", p.views}, {"carts", p.carts}, {"purchases", p.purchases},
      {"first_event", FormatTimestamp(p.first_ts)}, {"last_event", FormatTimestamp(p.last_ts)},
      {"rfm", {{"recency_days", Num(p.recency_days, kDaysMoneyDigits)}, {"frequency", p.purchases}, {"monetary", Num(p.monetary, kDaysMoneyDigits)},
               {"r", p.r_score}, {"f", p.f_score}, {"m", p.m_score}, {"segment", Str(p.rfm_segment)}}},
      {"peak_hours", p.peak_hours},
      {"hour_of_week", p.hour_of_week},
      {"sessions", {{"count", p.sessions}, {"mean_minutes", Num(p.session_minutes, kDaysMoneyDigits)}, {"mean_depth", Num(p.session_depth, kDaysMoneyDigits)}}},
      {"funnel", {{"view_to_cart", Num(p.view_to_cart)}, {"cart_to_purchase", Num(p.cart_to_purchase)},
                  {"view_to_purchase", Num(p.view_to_purchase)}}},
      {"repurchase_cycle", std::move(repurchase)},
      {"lifecycle", Str(p.lifecycle)},
      {"churn_risk", Num(p.churn_risk, kScoreDigits)}};
  j["segments"] = {{"cluster", p.cluster < 0 ? J(nullptr) : J(p.cluster)}};
  return j;
}

double InterestIn(const Graph& g, const Profile& p, const std::string& spec) {
  std::optional<NodeId> n = g.FindSpec(spec);
  if (!n) n = g.Find(NodeType::kAttribute, spec);
  if (!n) return 0;
  for (const auto& list : p.interests)
    for (const Interest& t : list)
      if (t.tag == *n) return t.weight;
  return 0;
}

}  // namespace kgp
