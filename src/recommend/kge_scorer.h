// Graph-embedding scores for recommendation: how plausible (user, PURCHASED, item) is under a
// trained KGE model (embed/), and which items lie near an item. Entities are matched to the
// workspace by their node specs ("user:<id>", "product:<id>"). Without PURCHASED in the
// model (a shop with no purchases yet) CARTED, then VIEWED, stands in. Thread-safe after
// creation.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "embed/ann.h"
#include "embed/checkpoint.h"
#include "recommend/catalog.h"
#include "recommend/covisit.h"

namespace kgp::rec {

// Catalogues with at least ann_min_items embedded items get an HNSW index over the item rows
// for (user, relation, ?) retrieval (embed::TailIndex); smaller ones are scored item by item.
// Off by default (SIZE_MAX): on WN18RR-sized tables (41 k rows, d = 100) the scan of item rows
// is as fast as the index at k = 10 and faster at k = 100, and the index's recall is 0.6–0.75
// for TransE-L1 (make bench); the workspace setting recommend.kge_ann_min_items turns it on.
inline constexpr size_t kKgeAnnMinItems = SIZE_MAX;

class KgeScorer {
 public:
  static Result<std::unique_ptr<KgeScorer>> Create(embed::Checkpoint ck, const Catalog& cat,
                                                   size_t ann_min_items = kKgeAnnMinItems);
  // nullptr (not an error) when the file does not exist. Uses the checkpoint's hnswlib index
  // (`kgprofile kge index`) for item neighbours when one was built from these tables; a stale
  // or damaged one is left aside with a warning (embed::LoadCurrentIndex): exact neighbours.
  static Result<std::unique_ptr<KgeScorer>> Load(const std::string& path, const Catalog& cat,
                                                 size_t ann_min_items = kKgeAnnMinItems);

  bool Knows(uint32_t user) const { return user < user_entity_.size() && user_entity_[user] != kNone; }
  // out[item] = score of (user, relation, item) for every store item; −inf for items the model
  // does not know. out is resized to the catalog's items.
  void ScoreItems(uint32_t user, std::vector<float>& out) const;
  // The k items the model ranks highest for the user, with exact scores, best first: from the
  // item index when the catalogue has one (approximate choice of items), else exhaustive.
  std::vector<Neighbor> TopItems(uint32_t user, size_t k) const;
  // The k best finite entries of per-item scores (as ScoreItems fills them), best first.
  static std::vector<Neighbor> Best(const std::vector<float>& scores, size_t k);
  // out[j] = score of (user, relation, items[j]); −inf for items the model does not know
  // (all of them for an unknown user). The user's query is built once.
  void ScoreSome(uint32_t user, std::span<const uint32_t> items, std::vector<float>& out) const;
  // Mean and standard deviation of the user's item scores, over every item or, with an item
  // index, over a fixed sample of 1024 items (for normalising scores without a full scan).
  std::pair<double, double> ScoreStats(uint32_t user) const;
  // Mean and standard deviation of the finite entries ({0, 1} when fewer than two).
  static std::pair<double, double> Stats(const std::vector<float>& scores);
  bool HasItemIndex() const { return item_ann_ != nullptr; }
  // Items nearest to item by cosine similarity of their entity rows, best first.
  std::vector<Neighbor> SimilarItems(uint32_t item, size_t k) const;
  const std::string& relation_name() const { return relation_name_; }
  const std::string& model_name() const { return ck_.config.name; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  embed::Checkpoint ck_;
  std::unique_ptr<embed::Model> model_;
  std::unique_ptr<embed::NeighborIndex> ann_;
  std::unique_ptr<embed::TailIndex> item_ann_;  // over item rows for relation_, large catalogues
  uint32_t relation_ = 0;
  std::string relation_name_;
  std::vector<float> scratch_;
  std::vector<uint32_t> user_entity_, item_entity_;
  std::vector<std::pair<uint32_t, uint32_t>> entity_item_;  // sorted (entity, item)

  // The query vector of (user, relation_, ?) (Model::TailQuery).
  std::vector<float> QueryOf(uint32_t user) const;
  // Score of the query against an item's candidate row; −inf when the model lacks the item.
  float RowScore(const std::vector<float>& q, uint32_t item) const;
};

}  // namespace kgp::rec
