// The JSON forms of recommendations, next-purchase predictions and related items: one writer
// each, shared by the CLI (`recommend`, `predict-next`, `related` with --json) and the HTTP
// service. Fields are documented in docs/recommend.md and docs/api.md.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include <nlohmann/json.hpp>

#include "recommend/pipeline.h"

namespace kgp::rec {

// {"user", "fitted", "recommendations": [{"item", "title", "score", "sources", "features",
// "explanations"?}]}; explanations (knowledge-graph paths) only when explain. since: the user's
// events after the engine's history (Engine::Candidates); hidden: nodes no explanation passes
// through (Explain). "user" is the catalogue's id of the user ("" for one it does not know: the
// caller names them).
nlohmann::json RecommendationsJson(const RecContext& rc, uint32_t user, size_t k, bool explain,
                                   std::span<const ProfileEvent> since = {},
                                   const std::function<bool(NodeId)>& hidden = {});

// {"user", "window_days", "calibrated", "categories": [{"category", "probability", "features"}]}
nlohmann::json NextPurchaseJson(const RecContext& rc, uint32_t user, size_t k, std::span<const ProfileEvent> since = {});

// {"item", "title", "related": [{"item", "title", "score", "reasons", "en", "zh"}]}
nlohmann::json RelatedJson(const RecContext& rc, uint32_t item, size_t k);

}  // namespace kgp::rec
