#include "llm/kar.h"

#include <algorithm>
#include <map>
#include <memory>

#include "common/strings.h"

namespace kgp::llm {

Preference ParsePreference(const Lexicon& lx, const ClaimChecker& checker, const FactSheet& facts, const std::string& text,
                           const std::vector<NodeId>& candidates) {
  Preference p;
  std::string body = text;
  if (size_t at = text.rfind("RANK:"); at != std::string::npos) {
    body = text.substr(0, at);
    for (std::string_view tok : Split(std::string_view(text).substr(at + 5), ',')) {
      auto n = ParseInt(Trim(tok));
      if (!n || *n < 1 || static_cast<size_t>(*n) > candidates.size()) continue;
      const NodeId c = candidates[static_cast<size_t>(*n - 1)];
      if (std::find(p.ranked.begin(), p.ranked.end(), c) == p.ranked.end()) p.ranked.push_back(c);
    }
  }
  CheckResult r = checker.Check(body, facts);
  p.rationale = r.text;
  p.faithfulness = r.faithfulness;
  const Graph& g = lx.graph();
  for (const Claim& c : r.claims) {
    if (!c.supported || c.nodes.empty()) continue;
    NodeId n = c.nodes[0];
    for (NodeId x : c.nodes)
      if (facts.Allows(x)) n = x;
    auto& list = g.type(n) == NodeType::kCategory ? p.categories : g.type(n) == NodeType::kBrand ? p.brands : p.categories;
    if (g.type(n) != NodeType::kCategory && g.type(n) != NodeType::kBrand) continue;
    bool seen = false;
    for (const auto& [m, w] : list) seen = seen || m == n;
    if (!seen) list.emplace_back(n, 1.0 / (1.0 + static_cast<double>(list.size())));
  }
  (void)lx;
  return p;
}

double RationaleAffinity(const Lexicon& lx, const Preference& p, NodeId product) {
  if (product == UINT32_MAX) return 0;
  double s = 0;
  const auto chain = lx.CategoryChain(lx.CategoryOf(product));
  for (const auto& [c, w] : p.categories)
    if (std::find(chain.begin(), chain.end(), c) != chain.end()) s += w;
  const NodeId b = lx.BrandOf(product);
  for (const auto& [n, w] : p.brands)
    if (n == b) s += w;
  return s;
}

double RerankScore(const Preference& p, NodeId product) {
  for (size_t i = 0; i < p.ranked.size(); ++i)
    if (p.ranked[i] == product) return 1.0 / static_cast<double>(i + 1);
  return 0;
}

Result<rec::RecFitReport> EvaluateReasoning(Workspace& ws, Session& s, Backend& b, const KarEvalOptions& opts,
                                            size_t* llm_calls, double* mean_faithfulness) {
  auto memo = std::make_shared<std::map<uint32_t, Preference>>();
  const Lexicon& lx = s.lexicon();
  const rec::Catalog& cat = *s.rec().catalog;
  Status failure;
  size_t calls = 0;
  double faith = 0;
  // One reasoning per user, shared by both features.
  const auto prefer = [&, memo](const rec::Engine& past, uint32_t user) -> const Preference& {
    auto it = memo->find(user);
    if (it != memo->end()) return it->second;
    Session::PreferenceInput in;
    in.alias = s.Alias(cat.UserExt(user));
    const rec::UserTaste taste = rec::TasteOf(past.history(), past.items(), user);
    auto cats = taste.categories, brands = taste.brands;
    const auto by_weight = [](const auto& a, const auto& c) { return a.second > c.second; };
    std::sort(cats.begin(), cats.end(), by_weight);
    std::sort(brands.begin(), brands.end(), by_weight);
    for (size_t i = 0; i < cats.size() && i < opts.writer.categories; ++i) in.categories.emplace_back(cats[i].first, cats[i].second);
    for (size_t i = 0; i < brands.size() && i < opts.writer.brands; ++i) in.brands.emplace_back(brands[i].first, brands[i].second);
    const auto events = past.history().Of(user);
    for (auto e = events.rbegin(); e != events.rend() && in.purchases.size() < opts.writer.purchases; ++e)
      if (e->type == EventType::kPurchase) {
        const NodeId n = cat.ItemNode(e->item);
        if (n != UINT32_MAX && std::find(in.purchases.begin(), in.purchases.end(), n) == in.purchases.end())
          in.purchases.push_back(n);
      }
    for (const auto& r : past.Recommend(user, opts.writer.candidates))
      if (cat.ItemNode(r.item) != UINT32_MAX) in.candidates.push_back(cat.ItemNode(r.item));
    FactSheet facts = s.ReasonFacts(in, opts.lang);
    auto gt = s.Run(b, Task::kReason, facts, opts.lang, user, -1, {cat.UserExt(user), "user:" + cat.UserExt(user)}, {},
                    opts.writer);
    Preference p;
    if (gt.ok()) {
      ++calls;
      p = ParsePreference(lx, s.checker(), facts, gt->raw, in.candidates);
      faith += gt->faithfulness;
    } else if (failure.ok()) {
      failure = gt.status();
    }
    return (*memo)[user] = std::move(p);
  };
  KarEvalOptions o = opts;
  o.fit.extra_scores.push_back({"llm rationale affinity", [&](const rec::Engine& past, uint32_t user) {
                                  const Preference& p = prefer(past, user);
                                  return std::function<double(uint32_t)>(
                                      [&lx, &cat, p](uint32_t item) { return RationaleAffinity(lx, p, cat.ItemNode(item)); });
                                }});
  o.fit.extra_scores.push_back({"llm re-rank", [&](const rec::Engine& past, uint32_t user) {
                                  const Preference& p = prefer(past, user);
                                  return std::function<double(uint32_t)>(
                                      [&cat, p](uint32_t item) { return RerankScore(p, cat.ItemNode(item)); });
                                }});
  auto rep = rec::FitRecommender(ws, o.fit);
  if (!failure.ok()) return failure;
  if (llm_calls) *llm_calls = calls;
  if (mean_faithfulness) *mean_faithfulness = calls ? faith / static_cast<double>(calls) : 1.0;
  return rep;
}

}  // namespace kgp::llm
