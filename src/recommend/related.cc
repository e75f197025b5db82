#include "recommend/related.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "recommend/explain.h"

namespace kgp::rec {

std::vector<RelatedItem> Related(const Engine& e, uint32_t item, size_t k) {
  std::unordered_map<uint32_t, RelatedItem> acc;
  auto add = [&](uint32_t other, float score, const char* reason) {
    if (other == item) return;
    auto [it, fresh] = acc.try_emplace(other, RelatedItem{other, 0, {}, {}, {}});
    it->second.score += score;
    it->second.reasons.push_back(reason);
  };
  const size_t pool = std::max<size_t>(k * 3, 30);
  auto cp = e.CoPurchased(item, pool);
  for (const auto& n : cp) add(n.item, 1.0f * n.score / cp[0].score, "co_purchase");
  auto cv = e.CoVisited(item);
  for (size_t i = 0; i < cv.size() && i < pool; ++i) add(cv[i].item, 1.0f * cv[i].score / cv[0].score, "covisit");
  if (e.kge()) {
    for (const auto& n : e.kge()->SimilarItems(item, pool)) add(n.item, 0.7f * std::max(0.0f, n.score), "embedding");
  }
  const ItemIndex& items = e.items();
  const Graph& g = e.graph();
  NodeId brand = kNoNode;
  for (NodeId t : items.Tags(item))
    if (g.type(t) == NodeType::kBrand) brand = t;
  const NodeId leaf = items.Leaf(item);
  if (leaf != kNoNode) {
    const auto& top = e.PopularIn(leaf);
    for (size_t i = 0; i < top.size() && i < pool; ++i) {
      const float rank_score = 0.3f * (1.0f - static_cast<float>(i) / static_cast<float>(top.size()));
      add(top[i], rank_score, "same_category");
      const auto tags = items.Tags(top[i]);
      if (brand != kNoNode && std::find(tags.begin(), tags.end(), brand) != tags.end()) add(top[i], 0.3f, "same_brand");
    }
  }
  std::vector<RelatedItem> out;
  for (auto& [id, r] : acc) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score != b.score ? a.score > b.score : a.item < b.item; });
  if (out.size() > k) out.resize(k);
  const NodeNames& names = e.catalog().names();
  const auto name = [&](NodeId n, const char* lang) { return n != kNoNode ? NodeName(names, n, lang) : ""; };
  const std::string leaf_en = name(leaf, "en"), leaf_zh = name(leaf, "zh"), brand_en = name(brand, "en"), brand_zh = name(brand, "zh");
  for (auto& r : out) {
    std::vector<std::string> en, zh;
    for (const auto& why : r.reasons) {
      if (why == "co_purchase") en.push_back("often bought together"), zh.push_back("常被一起购买");
      // Within an hour of each other, whatever the events were (views, carts, ratings).
      if (why == "covisit") en.push_back("often in the same visits"), zh.push_back("常在同一次访问中出现");
      if (why == "embedding") en.push_back("close in the knowledge graph"), zh.push_back("在知识图谱中相近");
      if (why == "same_brand") en.push_back("also by " + brand_en), zh.push_back("同为" + brand_zh + "品牌");
      if (why == "same_category") en.push_back("popular in " + leaf_en), zh.push_back(leaf_zh + "类目热销");
    }
    r.en = fmt::format("{}", fmt::join(en, "; "));
    r.zh = fmt::format("{}", fmt::join(zh, "；"));
  }
  return out;
}

}  // namespace kgp::rec
