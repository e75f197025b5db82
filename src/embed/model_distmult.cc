// DistMult (Yang et al. 2015): score = <h, r, t> = sum_i h_i r_i t_i.
#include <cmath>

#include "embed/kernels.h"
#include "embed/models.h"
#include "embed/simd.h"

namespace kgp::embed {
namespace {

KGP_SIMD_CLONES float Trilinear(const float* h, const float* r, const float* t, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += h[i] * r[i] * t[i];
  return s;
}

KGP_SIMD_CLONES void TrilinearGrad(const float* h, const float* r, const float* t, size_t d, float g, float* __restrict gh,
                                   float* __restrict gr, float* __restrict gt) {
  for (size_t i = 0; i < d; ++i) {
    gh[i] += g * r[i] * t[i];
    gr[i] += g * h[i] * t[i];
    gt[i] += g * h[i] * r[i];
  }
}

class DistMult final : public Model {
 public:
  using Model::Model;
  size_t entity_width() const override { return static_cast<size_t>(c_.dim); }
  size_t relation_width() const override { return static_cast<size_t>(c_.dim); }
  void Init(Params& p, Rng& rng) const override {
    float b = c_.init > 0 ? c_.init : 1.0f / std::sqrt(static_cast<float>(c_.dim));
    FillUniform(p.entity, b, rng);
    FillUniform(p.relation, b, rng);
  }
  float Score(const float* h, const float* r, const float* t) const override {
    return Trilinear(h, r, t, entity_width());
  }
  void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
            float* gt) const override {
    TrilinearGrad(h, r, t, entity_width(), g, gh, gr, gt);
  }
  Form form() const override { return Form::kDot; }
  void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>&, float* q) const override {
    for (size_t i = 0; i < entity_width(); ++i) q[i] = p.E(h)[i] * p.R(r)[i];
  }
  void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>&, float* q) const override {
    TailQuery(p, t, r, {}, q);  // symmetric in h and t
  }
};

}  // namespace

std::unique_ptr<Model> MakeDistMult(const ModelConfig& c) { return std::make_unique<DistMult>(c); }

}  // namespace kgp::embed
