#include "graph/schema.h"

#include "common/strings.h"

namespace kgp {
namespace {
struct NodeNames {
  const char* label;
  const char* prefix;
};
constexpr NodeNames kNodeNames[kNumNodeTypes] = {
    {"User", "user"},         {"Product", "product"},   {"Category", "category"},
    {"Brand", "brand"},       {"Attribute", "attribute"}, {"Entity", "entity"},
    {"PriceBand", "priceband"}, {"Segment", "segment"}, {"AgeGroup", "agegroup"},
    {"Gender", "gender"},     {"Occupation", "occupation"}, {"City", "city"}};
constexpr const char* kEdgeNames[edge::kNumBuiltin] = {
    "VIEWED",      "CARTED",        "PURCHASED",     "FAVORITED",      "RATED",
    "REVIEWED",    "BELONGS_TO",    "SUBCATEGORY_OF", "MADE_BY",       "HAS_ATTRIBUTE",
    "MENTIONS",    "IN_PRICE_BAND", "HAS_AGE_GROUP", "HAS_GENDER",     "HAS_OCCUPATION",
    "LIVES_IN",    "CO_PURCHASED_WITH", "INTERESTED_IN"};
}  // namespace

const char* NodeTypeName(NodeType t) { return kNodeNames[static_cast<int>(t)].label; }
const char* NodeTypePrefix(NodeType t) { return kNodeNames[static_cast<int>(t)].prefix; }

std::optional<NodeType> ParseNodeType(std::string_view s) {
  std::string l = ToLowerAscii(s);
  for (int i = 0; i < kNumNodeTypes; ++i)
    if (l == kNodeNames[i].prefix) return static_cast<NodeType>(i);
  if (l == "item") return NodeType::kProduct;
  return std::nullopt;
}

const char* BuiltinEdgeTypeName(EdgeTypeId t) {
  return t < edge::kNumBuiltin ? kEdgeNames[t] : nullptr;
}

std::optional<EdgeTypeId> InteractionEdgeType(EventType t) {
  switch (t) {
    case EventType::kView: return edge::kViewed;
    case EventType::kCart: return edge::kCarted;
    case EventType::kRemoveFromCart: return std::nullopt;
    case EventType::kPurchase: return edge::kPurchased;
    case EventType::kFavorite: return edge::kFavorited;
    case EventType::kRate: return edge::kRated;
    case EventType::kReview: return edge::kReviewed;
  }
  return std::nullopt;
}

double InteractionWeight(EventType t, std::optional<double> value) {
  switch (t) {
    case EventType::kView: return 1.0;
    case EventType::kCart: return 3.0;
    case EventType::kRemoveFromCart: return 0.0;
    case EventType::kPurchase: return 5.0;
    case EventType::kFavorite: return 2.0;
    // 1–5 stars (or 1–10); a value outside 0 to kMaxRating, which ingest and the service
    // refuse and an older service stored (1e39 made an infinite edge weight, and every graph
    // build failed), counts as a rating not given.
    case EventType::kRate:
    case EventType::kReview: return value && *value >= 0 && *value <= kMaxRating ? *value : 3.0;
  }
  return 0.0;
}

}  // namespace kgp
