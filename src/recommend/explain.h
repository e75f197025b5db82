// Why an item is recommended, as knowledge-graph paths from the user to the item, each with a
// sentence in English and Chinese. Paths come from the graph (graph/paths.h: "you bought P,
// made by the same brand as I"; "shoppers who bought P also bought I") and from the user's
// interests, drawn as a step user —INTERESTED_IN→ category ←BELONGS_TO— item (profiles keep
// interests in their own tables, not as graph edges: docs/profile.md). Repurchases of
// consumables are explained by the category's cycle.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recommend/engine.h"

namespace kgp::rec {

struct Explanation {
  std::string kind;  // interest | brand | category | attribute | price_band | entity | co_purchase | also_bought | cohort | repurchase | seen | path
  // "user:U -PURCHASED-> product:P -MADE_BY-> brand:B <-MADE_BY- product:I": edges of the
  // graph only; empty for a repurchase note whose event came after the last `graph build`.
  std::string path;
  std::string en, zh;
};

inline constexpr size_t kExplanations = 3;  // per item, unless asked otherwise

// Up to max_paths explanations, strongest first. since: the user's events after the engine's
// history, as r was computed with (Engine::Candidates). hidden: graph nodes no path may pass
// through (a server's users erased since it loaded the graph).
std::vector<Explanation> Explain(const Engine& e, uint32_t user, const Recommendation& r,
                                 size_t max_paths = kExplanations, std::span<const ProfileEvent> since = {},
                                 const std::function<bool(NodeId)>& hidden = {});

// A node's name in "en" or "zh" (graph/names.h), "“Title”" for a product node.
std::string NodeName(const NodeNames& names, NodeId n, std::string_view lang);

}  // namespace kgp::rec
