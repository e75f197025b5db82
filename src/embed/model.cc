#include "embed/model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "embed/kernels.h"
#include "embed/models.h"

namespace kgp::embed {

void Model::ScoreTails(const Params& p, uint32_t h, uint32_t r, const std::vector<float>& scratch, float* out) const {
  std::vector<float> q(query_width());
  TailQuery(p, h, r, scratch, q.data());
  ScoreQueries(p, scratch, q.data(), 1, out);
}

void Model::ScoreHeads(const Params& p, uint32_t r, uint32_t t, const std::vector<float>& scratch, float* out) const {
  std::vector<float> q(query_width());
  HeadQuery(p, r, t, scratch, q.data());
  ScoreQueries(p, scratch, q.data(), 1, out);
}

void Model::ScoreQueries(const Params& p, const std::vector<float>& scratch, const float* queries, size_t nq,
                         float* out) const {
  kernels::ScoreBlock(static_cast<int>(form()), c_.gamma, queries, nq, CandidateRows(p, scratch), p.num_entities,
                      query_width(), out);
}

void Model::Allocate(Params& p, size_t num_entities, size_t num_relations, Rng& rng) const {
  p.num_entities = num_entities;
  p.num_relations = num_relations;
  p.entity_width = entity_width();
  p.relation_width = relation_width();
  p.entity.assign(num_entities * p.entity_width, 0.0f);
  p.relation.assign(num_relations * p.relation_width, 0.0f);
  Init(p, rng);
}

void FillUniform(FloatTable& v, float b, Rng& rng) {
  for (auto& x : v) x = rng.Uniform(-b, b);
}

float DistanceInit(const ModelConfig& c) {
  const float d = static_cast<float>(c.dim);
  if (!(c.gamma > 0)) return 6.0f / std::sqrt(d);
  return (c.gamma + 2.0f) / (c.norm == 2 ? std::sqrt(d) : d);
}

const std::vector<std::string>& ModelNames() {
  static const std::vector<std::string> k = {"transe", "transr", "distmult", "complex", "rotate"};
  return k;
}

Result<std::unique_ptr<Model>> MakeModel(const ModelConfig& c) {
  if (c.dim < 1 || c.dim > 100000)
    return Status::InvalidArgument(fmt::format("dimension {} out of range (1..100000)", c.dim));
  if (c.norm != 1 && c.norm != 2) return Status::InvalidArgument(fmt::format("norm must be 1 or 2, not {}", c.norm));
  if (c.relation_dim < 0) return Status::InvalidArgument("relation dimension must be >= 0");
  // An infinite or NaN value scores every triple NaN, and a checkpoint cannot hold it (JSON null).
  const std::pair<const char*, float> values[] = {{"gamma", c.gamma}, {"init", c.init}, {"max_norm", c.max_norm}};
  for (const auto& [what, v] : values)
    if (!std::isfinite(v)) return Status::InvalidArgument(fmt::format("{} must be a finite number, not {}", what, v));
  if (c.name == "transe") return MakeTransE(c);
  if (c.name == "transr") return MakeTransR(c);
  if (c.name == "distmult") return MakeDistMult(c);
  if (c.name == "complex") return MakeComplEx(c);
  if (c.name == "rotate") return MakeRotatE(c);
  return Status::InvalidArgument(fmt::format("unknown model '{}' (one of: {})", c.name, fmt::join(ModelNames(), ", ")));
}

}  // namespace kgp::embed
