#include "embed/predict.h"

#include <algorithm>
#include <cmath>

#include "embed/kernels.h"

namespace kgp::embed {

std::vector<Scored> TopK(const std::vector<float>& scores, size_t k, const uint32_t* xb, const uint32_t* xe) {
  std::vector<Scored> all;
  all.reserve(scores.size());
  for (uint32_t i = 0; i < scores.size(); ++i) {
    if (xb && std::binary_search(xb, xe, i)) continue;
    if (std::isnan(scores[i])) continue;
    all.push_back({i, scores[i]});
  }
  k = std::min(k, all.size());
  auto better = [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; };
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(k), all.end(), better);
  all.resize(k);
  return all;
}

namespace {
// Scores every entity for one side of (h, r, t) and keeps the top k, known answers skipped.
std::vector<Scored> Predict(const Model& m, const Params& p, uint32_t e, uint32_t r, size_t k, bool tails,
                            const KnownTriples* known) {
  std::vector<float> scores(p.num_entities), scratch;
  m.PrepareRelation(p, r, &scratch);
  if (tails) m.ScoreTails(p, e, r, scratch, scores.data());
  else m.ScoreHeads(p, r, e, scratch, scores.data());
  std::pair<const uint32_t*, const uint32_t*> skip{nullptr, nullptr};
  if (known) skip = tails ? known->Tails(e, r) : known->Heads(r, e);
  return TopK(scores, k, skip.first, skip.second);
}
}  // namespace

std::vector<Scored> PredictTails(const Model& m, const Params& p, uint32_t h, uint32_t r, size_t k,
                                 const KnownTriples* known) {
  return Predict(m, p, h, r, k, true, known);
}

std::vector<Scored> PredictHeads(const Model& m, const Params& p, uint32_t r, uint32_t t, size_t k,
                                 const KnownTriples* known) {
  return Predict(m, p, t, r, k, false, known);
}

std::vector<Scored> NearestEntities(const Params& p, uint32_t e, size_t k) {
  size_t d = p.entity_width;
  std::vector<float> norms(p.num_entities), scores(p.num_entities);
  for (uint32_t i = 0; i < p.num_entities; ++i) norms[i] = std::sqrt(kernels::Dot(p.E(i), p.E(i), d));
  kernels::ScoreBlock(static_cast<int>(Model::Form::kDot), 0, p.E(e), 1, p.entity.data(), p.num_entities, d,
                      scores.data());
  for (uint32_t i = 0; i < p.num_entities; ++i) {
    float den = norms[i] * norms[e];
    scores[i] = den > 0 ? scores[i] / den : 0.0f;
  }
  uint32_t self = e;
  return TopK(scores, k, &self, &self + 1);
}

}  // namespace kgp::embed
