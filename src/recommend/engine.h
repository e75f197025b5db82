// The online recommender over a workspace: candidate generators (co-visitation, co-purchase
// edges, graph-embedding scores, a collaborative-filtering model fitted on the history,
// popularity overall / in the user's categories / in the user's demographic cohort,
// repurchase of consumables), one feature vector per candidate, a learned logistic blend
// (ranker.h fits it), filtering and category diversification.
// Built from a History; read-only afterwards and safe to share between threads.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "profile/item_index.h"
#include "recommend/catalog.h"
#include "recommend/covisit.h"
#include "recommend/history.h"
#include "recommend/kge_scorer.h"
#include "recommend/logistic.h"
#include "recommend/model.h"

namespace kgp::rec {

enum Feature : int {
  kFCoVisit, kFCoPurchase, kFEmbedding, kFPopularity, kFCategory, kFBrand, kFPriceFit,
  kFTouched, kFPurchased, kFRepurchaseDue, kFCohort, kFCollaborative, kNumFeatures
};
const char* FeatureName(int f);  // "covisit", …

struct EngineOptions {
  size_t per_source = 100;        // candidates taken from each generator
  size_t recent_items = 20;       // the user's latest distinct items that seed item-to-item sources
  size_t max_per_category = 0;    // diversification cap per leaf category; 0 = max(3, k / 2)
  bool exclude_purchased = true;  // bought items are not offered again, unless a consumable is due
  bool exclude_seen = false;      // also drop anything the user already viewed
  HistoryOptions history;
  CoVisitOptions covisit;
  // Collaborative-filtering generator: a model of recommend/algo/factory.h fitted on the
  // history's user × item sets at construction, as a spec (`rp3beta`, `itemknn:k=50`, …);
  // "none": off. Off by default: on the generated shops it did not lift the held-out metrics
  // (docs/recommend.md). A fitted workspace serves with the one its ranker was fitted with.
  std::string cf = "none";
  // What the engine will be asked about, when a command knows it (one user's recommendations,
  // one item's related items): co-visitation rows are then built only for the items those
  // users' candidates are seeded from (RecentItems) and for these items, not for the whole
  // catalogue. Unset: every row (the server, --fit, the demo). Asked for a row it did not build
  // (another user's candidates, another item's related items, unless their rows happen to be
  // among those built), the engine throws std::logic_error rather than answer without it.
  struct Scope {
    std::vector<uint32_t> users, items;
  };
  std::optional<Scope> scope;
};
// InvalidArgument when an option cannot be used (an unknown CF model or key).
Status CheckEngineOptions(const EngineOptions& opts);

struct Recommendation {
  uint32_t item;
  float score;  // ranker output (probability-like; higher is better)
  std::array<float, kNumFeatures> features;
  uint16_t sources = 0;  // bit f set when generator f proposed it
};

// A user the engine's history does not know (one first seen after it was built, or an id that
// came back after an erasure): every user-keyed lookup (history, graph node, embedding) is
// empty for it, so it is served from the events passed as `since` alone, plus cold start.
inline constexpr uint32_t kNewUser = UINT32_MAX;

class Engine {
 public:
  // kge may be null (no embeddings). The engine keeps references to graph, items and catalog.
  Engine(const Graph& g, const ItemIndex& items, const Catalog& cat, History history,
         std::shared_ptr<const KgeScorer> kge, const EngineOptions& opts);

  // Every candidate with its features, unranked (used to fit the ranker). `since`: the user's
  // events that arrived after the history was built, in time order (a server's live events;
  // one may be older than the history's latest), read as if they were the history's: they seed
  // item-to-item candidates, move the user's tastes, and a purchase among them filters the
  // item. Global statistics (popularity, co-visitation, cycles) stay the history's.
  std::vector<Recommendation> Candidates(uint32_t user, std::span<const ProfileEvent> since = {}) const;
  // Top k after ranking, filtering and diversification. user may be unknown to the history
  // (kNewUser, or any id the history lacks: cold start from cohort, popularity and `since`).
  std::vector<Recommendation> Recommend(uint32_t user, size_t k, std::span<const ProfileEvent> since = {}) const;
  // Filters (bought / seen, as configured) and orders candidates by score, best first, then
  // diversifies by leaf category when asked. Recommend() is Rank(Candidates(), k, Score, true).
  using ScoreFn = std::function<double(const Recommendation&)>;
  std::vector<Recommendation> Rank(std::vector<Recommendation> cands, size_t k, const ScoreFn& score,
                                   bool diversify) const;

  void SetRanker(Logistic ranker) { ranker_ = std::move(ranker); }
  const Logistic& ranker() const { return ranker_; }
  // Score of a feature vector: the learned blend, or a fixed prior before fitting.
  double Score(const std::array<float, kNumFeatures>& f) const;

  const History& history() const { return history_; }
  const Graph& graph() const { return g_; }
  const ItemIndex& items() const { return items_; }
  const Catalog& catalog() const { return cat_; }
  const KgeScorer* kge() const { return kge_.get(); }
  // Item's co-visitation row, strongest first; std::logic_error when EngineOptions::scope left
  // it unbuilt.
  std::span<const Neighbor> CoVisited(uint32_t item) const;
  // The user's latest distinct items, newest first (at most recent_items): they seed the
  // item-to-item generators.
  std::vector<uint32_t> RecentItems(uint32_t user, std::span<const ProfileEvent> since = {}) const;
  // The same over a user's events already merged (EventsOf).
  std::vector<uint32_t> LatestItems(std::span<const ProfileEvent> events) const;
  // The user's events in time order: the history's and those of `since` (in time order) on items
  // the history knows (an item created after it has no statistics, features or co-visitation
  // row). A view of the history when `since` adds nothing; else of buf, which receives the
  // merged copy.
  std::span<const ProfileEvent> EventsOf(uint32_t user, std::span<const ProfileEvent> since,
                                         std::vector<ProfileEvent>& buf) const;
  // The time the user's tastes and cycles are measured at: the history's, or the latest of
  // `since` when later.
  int64_t NowFor(std::span<const ProfileEvent> since) const;
  const Recommender* cf() const { return cf_.get(); }  // null when off
  const EngineOptions& options() const { return opts_; }
  // The user's demographic cohort (gender × age group from the graph); 0 when unknown.
  uint32_t CohortOf(uint32_t user) const;
  // Items the graph says were bought together with item (CO_PURCHASED_WITH), strongest first.
  std::vector<Neighbor> CoPurchased(uint32_t item, size_t k) const;
  // Most popular items of a leaf category.
  const std::vector<uint32_t>& PopularIn(NodeId leaf) const;
  // Share of all (decayed) behaviour weight that falls in a leaf category.
  float LeafShare(NodeId leaf) const;

 private:
  const Graph& g_;
  const ItemIndex& items_;
  const Catalog& cat_;
  History history_;
  std::shared_ptr<const KgeScorer> kge_;
  EngineOptions opts_;
  CoVisitIndex covisit_;
  std::unique_ptr<Recommender> cf_;
  Logistic ranker_;
  std::vector<std::pair<NodeId, std::vector<uint32_t>>> leaf_popular_;  // sorted by leaf
  std::vector<std::pair<NodeId, float>> leaf_share_;                    // sorted by leaf
  std::vector<std::vector<std::pair<uint32_t, float>>> cohort_popular_;  // by cohort id
  std::vector<std::pair<uint64_t, uint32_t>> cohort_ids_;  // (gender node << 32 | age node) → id
};

}  // namespace kgp::rec
