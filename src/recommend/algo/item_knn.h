// Neighbourhood models on the item graph (item_graph.h).
//
// ItemKNN: cosine similarity between the items' user sets with a shrink term,
//   sim(i, j) = |U_i ∩ U_j| / (|U_i|^(1/2) · |U_j|^(1/2) + shrink),
// the `k` most similar neighbours kept per item; a user's score for j is the sum of sim(i, j)
// over the items i of the history.
//
// RP3beta (Paudel et al., "Updatable, accurate, diverse, and scalable recommendations for
// interactive applications", TiiS 2017): a three-step random walk item → user → item with
// each transition probability raised to alpha, divided by the target's popularity^beta,
//   w(i, j) = deg(i)^-alpha · sum_{u ∈ U_i ∩ U_j} deg(u)^-alpha · deg(j)^-beta,
// top-k per row, rows scaled to sum 1.
// Both: Fit is multithreaded (opts.threads); Score is thread-safe.
#pragma once

#include "recommend/algo/item_graph.h"
#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

struct ItemKnnOptions {
  int k = 100;           // neighbours per item
  double shrink = 10;    // added to the cosine denominator: damps pairs seen by few users
  Status Check() const;  // InvalidArgument when a value is out of range (FromParams throws it, Fit returns it)
  static ItemKnnOptions FromParams(const Params& p);
};

class ItemKnn : public Recommender {
 public:
  explicit ItemKnn(ItemKnnOptions o = {}) : o_(o) {}
  std::string_view name() const override { return "ItemKNN"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;
  const SparseItemRows& graph() const { return graph_; }

 private:
  ItemKnnOptions o_;
  SparseItemRows graph_;
};

struct Rp3BetaOptions {  // defaults: the ones MovieLens-100K's validation split preferred
  int k = 200;
  double alpha = 1.0;
  double beta = 0.5;
  Status Check() const;  // as ItemKnnOptions::Check
  static Rp3BetaOptions FromParams(const Params& p);
};

class Rp3Beta : public Recommender {
 public:
  explicit Rp3Beta(Rp3BetaOptions o = {}) : o_(o) {}
  std::string_view name() const override { return "RP3beta"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;

 private:
  Rp3BetaOptions o_;
  SparseItemRows graph_;
};

}  // namespace kgp::rec
