// Node and edge types of the knowledge graph (ARCHITECTURE.md "Knowledge graph schema").
// The numeric values are stored in graph_nodes.type / graph_edges.type: append, never renumber.
// Relations of ingested KG triples get edge-type ids from kFirstDynamicEdgeType upward, named
// by the relation string (table graph_edge_types).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ingest/record.h"

namespace kgp {

using NodeId = uint32_t;
using EdgeTypeId = uint16_t;

enum class NodeType : uint8_t {
  kUser = 0,
  kProduct = 1,
  kCategory = 2,
  kBrand = 3,
  kAttribute = 4,
  kEntity = 5,
  kPriceBand = 6,
  kSegment = 7,
  kAgeGroup = 8,
  kGender = 9,
  kOccupation = 10,
  kCity = 11,
};
constexpr int kNumNodeTypes = 12;
const char* NodeTypeName(NodeType t);           // "User", "Product", … (Neo4j labels)
const char* NodeTypePrefix(NodeType t);         // "user", "product", … (CLI node specs)
std::optional<NodeType> ParseNodeType(std::string_view s);  // accepts either form

namespace edge {
constexpr EdgeTypeId kViewed = 0, kCarted = 1, kPurchased = 2, kFavorited = 3, kRated = 4,
                     kReviewed = 5, kBelongsTo = 6, kSubcategoryOf = 7, kMadeBy = 8,
                     kHasAttribute = 9, kMentions = 10, kInPriceBand = 11, kHasAgeGroup = 12,
                     kHasGender = 13, kHasOccupation = 14, kLivesIn = 15, kCoPurchasedWith = 16,
                     kInterestedIn = 17;
constexpr int kNumBuiltin = 18;
}  // namespace edge
constexpr EdgeTypeId kFirstDynamicEdgeType = 32;
const char* BuiltinEdgeTypeName(EdgeTypeId t);  // "VIEWED" …; nullptr if not built in

// Attribute nodes are keyed "key=value" (graph build); the key part ("size" of "size=7 oz").
constexpr std::string_view AttributeKey(std::string_view node_key) { return node_key.substr(0, node_key.find('=')); }

// The interaction edge an event type becomes; nullopt for events that make no edge
// (remove_from_cart).
std::optional<EdgeTypeId> InteractionEdgeType(EventType t);
// Weight one event adds to its interaction edge (docs/graph.md): a purchase says more about a
// user than a view. value is the rating for RATED/REVIEWED.
double InteractionWeight(EventType t, std::optional<double> value);

}  // namespace kgp
