#include "recommend/json.h"

#include <string>

#include "recommend/explain.h"
#include "recommend/related.h"

namespace kgp::rec {

nlohmann::json RecommendationsJson(const RecContext& rc, uint32_t user, size_t k, bool explain,
                                   std::span<const ProfileEvent> since, const std::function<bool(NodeId)>& hidden) {
  const auto& e = *rc.engine;
  const auto& cat = *rc.catalog;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : e.Recommend(user, k, since)) {
    nlohmann::json j = {{"item", cat.ItemExt(r.item)}, {"title", cat.ItemTitle(r.item)}, {"score", r.score}};
    nlohmann::json src = nlohmann::json::array(), feats = nlohmann::json::object();
    for (int f = 0; f < kNumFeatures; ++f) {
      if (r.sources >> f & 1) src.push_back(FeatureName(f));
      feats[FeatureName(f)] = r.features[static_cast<size_t>(f)];
    }
    j["sources"] = src;
    j["features"] = feats;
    if (explain) {
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& x : Explain(e, user, r, kExplanations, since, hidden)) ex.push_back({{"kind", x.kind}, {"path", x.path}, {"en", x.en}, {"zh", x.zh}});
      j["explanations"] = ex;
    }
    items.push_back(std::move(j));
  }
  return {{"user", cat.UserExt(user)}, {"fitted", rc.fitted}, {"recommendations", items}};
}

nlohmann::json NextPurchaseJson(const RecContext& rc, uint32_t user, size_t k, std::span<const ProfileEvent> since) {
  nlohmann::json out = nlohmann::json::array();
  const Graph& g = rc.engine->graph();
  for (const auto& c : rc.next.Predict(*rc.engine, user, k, since)) {
    nlohmann::json f = nlohmann::json::object();
    for (int i = 0; i < kNumNextFeatures; ++i) f[NextFeatureName(i)] = c.features[static_cast<size_t>(i)];
    out.push_back({{"category", std::string(g.key(c.leaf))}, {"probability", c.probability}, {"features", f}});
  }
  return {{"user", rc.catalog->UserExt(user)}, {"window_days", rc.next.window_days}, {"calibrated", rc.fitted},
          {"categories", out}};
}

nlohmann::json RelatedJson(const RecContext& rc, uint32_t item, size_t k) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : Related(*rc.engine, item, k))
    out.push_back({{"item", rc.catalog->ItemExt(r.item)}, {"title", rc.catalog->ItemTitle(r.item)}, {"score", r.score},
                   {"reasons", r.reasons}, {"en", r.en}, {"zh", r.zh}});
  return {{"item", rc.catalog->ItemExt(item)}, {"title", rc.catalog->ItemTitle(item)}, {"related", out}};
}

}  // namespace kgp::rec
