#include "recommend/algo/item_knn.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace kgp::rec {

namespace {
void SumRows(const SparseItemRows& g, std::span<const uint32_t> history, std::span<float> out) {
  std::fill(out.begin(), out.end(), 0.0f);
  for (uint32_t i : history) g.AddRow(i, 1.0f, out);
}
}  // namespace

Status ItemKnnOptions::Check() const {
  if (k <= 0) return Status::InvalidArgument(fmt::format("itemknn: k must be > 0 (got {})", k));
  if (!(shrink >= 0)) return Status::InvalidArgument(fmt::format("itemknn: shrink must be >= 0 (got {})", shrink));
  return Status::Ok();
}

ItemKnnOptions ItemKnnOptions::FromParams(const Params& p) {
  ItemKnnOptions o;
  o.k = static_cast<int>(p.Int("k", o.k));
  o.shrink = p.Double("shrink", o.shrink);
  ThrowIfError(o.Check());
  return o;
}

Status ItemKnn::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  KGP_RETURN_IF_ERROR(o_.Check());
  InteractionMatrix ui = train.Dedup();
  InteractionMatrix iu = ui.Transpose();
  std::vector<float> norm(ui.num_items());
  for (uint32_t i = 0; i < ui.num_items(); ++i) norm[i] = std::sqrt(static_cast<float>(iu.RowSize(i)));
  std::vector<float> ones(ui.num_users(), 1.0f);
  const float shrink = static_cast<float>(o_.shrink);
  ItemGraphOptions g;
  g.top_k = o_.k;
  g.threads = opts.threads;
  graph_ = BuildItemGraph(ui, iu, ones,
                          [&](uint32_t i, uint32_t j, float co) { return co / (norm[i] * norm[j] + shrink); }, g);
  return Status::Ok();
}

void ItemKnn::Score(uint32_t, std::span<const uint32_t> history, std::span<float> out) const {
  SumRows(graph_, history, out);
}

Status Rp3BetaOptions::Check() const {
  if (k <= 0) return Status::InvalidArgument(fmt::format("rp3beta: k must be > 0 (got {})", k));
  return Status::Ok();
}

Rp3BetaOptions Rp3BetaOptions::FromParams(const Params& p) {
  Rp3BetaOptions o;
  o.k = static_cast<int>(p.Int("k", o.k));
  o.alpha = p.Double("alpha", o.alpha);
  o.beta = p.Double("beta", o.beta);
  ThrowIfError(o.Check());
  return o;
}

Status Rp3Beta::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  KGP_RETURN_IF_ERROR(o_.Check());
  InteractionMatrix ui = train.Dedup();
  InteractionMatrix iu = ui.Transpose();
  const float alpha = static_cast<float>(o_.alpha), beta = static_cast<float>(o_.beta);
  std::vector<float> user_w(ui.num_users()), from_w(ui.num_items()), to_w(ui.num_items());
  for (uint32_t u = 0; u < ui.num_users(); ++u) {
    size_t d = ui.RowSize(u);
    user_w[u] = d ? std::pow(1.0f / static_cast<float>(d), alpha) : 0.0f;
  }
  for (uint32_t i = 0; i < ui.num_items(); ++i) {
    auto d = static_cast<float>(iu.RowSize(i));
    from_w[i] = d > 0 ? std::pow(1.0f / d, alpha) : 0.0f;
    to_w[i] = d > 0 ? std::pow(d, -beta) : 0.0f;
  }
  ItemGraphOptions g;
  g.top_k = o_.k;
  g.threads = opts.threads;
  g.normalize_rows = true;
  graph_ = BuildItemGraph(ui, iu, user_w,
                          [&](uint32_t i, uint32_t j, float acc) { return from_w[i] * acc * to_w[j]; }, g);
  return Status::Ok();
}

void Rp3Beta::Score(uint32_t, std::span<const uint32_t> history, std::span<float> out) const {
  SumRows(graph_, history, out);
}

}  // namespace kgp::rec
