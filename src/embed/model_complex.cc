// ComplEx (Trouillon et al. 2016): score = Re(<h, r, conj(t)>) over complex vectors.
// Rows hold dim real parts then dim imaginary parts.
#include <cmath>

#include "embed/kernels.h"
#include "embed/models.h"
#include "embed/simd.h"

namespace kgp::embed {
namespace {

KGP_SIMD_CLONES float ComplexScore(const float* h, const float* r, const float* t, size_t k) {
  const float *hr = h, *hi = h + k, *rr = r, *ri = r + k, *tr = t, *ti = t + k;
  float s = 0;
  for (size_t i = 0; i < k; ++i)
    s += hr[i] * rr[i] * tr[i] + hi[i] * rr[i] * ti[i] + hr[i] * ri[i] * ti[i] - hi[i] * ri[i] * tr[i];
  return s;
}

KGP_SIMD_CLONES void ComplexGrad(const float* h, const float* r, const float* t, size_t k, float g, float* __restrict gh,
                                 float* __restrict gr, float* __restrict gt) {
  const float *hr = h, *hi = h + k, *rr = r, *ri = r + k, *tr = t, *ti = t + k;
  for (size_t i = 0; i < k; ++i) {
    gh[i] += g * (rr[i] * tr[i] + ri[i] * ti[i]);
    gh[k + i] += g * (rr[i] * ti[i] - ri[i] * tr[i]);
    gr[i] += g * (hr[i] * tr[i] + hi[i] * ti[i]);
    gr[k + i] += g * (hr[i] * ti[i] - hi[i] * tr[i]);
    gt[i] += g * (hr[i] * rr[i] - hi[i] * ri[i]);
    gt[k + i] += g * (hi[i] * rr[i] + hr[i] * ri[i]);
  }
}

class ComplEx final : public Model {
 public:
  using Model::Model;
  size_t entity_width() const override { return 2 * static_cast<size_t>(c_.dim); }
  size_t relation_width() const override { return 2 * static_cast<size_t>(c_.dim); }
  void Init(Params& p, Rng& rng) const override {
    float b = c_.init > 0 ? c_.init : 1.0f / std::sqrt(static_cast<float>(c_.dim));
    FillUniform(p.entity, b, rng);
    FillUniform(p.relation, b, rng);
  }
  float Score(const float* h, const float* r, const float* t) const override {
    return ComplexScore(h, r, t, static_cast<size_t>(c_.dim));
  }
  void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
            float* gt) const override {
    ComplexGrad(h, r, t, static_cast<size_t>(c_.dim), g, gh, gr, gt);
  }
  Form form() const override { return Form::kDot; }
  void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>&, float* q) const override {
    size_t k = static_cast<size_t>(c_.dim);
    const float *hr = p.E(h), *hi = hr + k, *rr = p.R(r), *ri = rr + k;
    for (size_t i = 0; i < k; ++i) {  // q = h * r; score = Re(q . conj(t))
      q[i] = hr[i] * rr[i] - hi[i] * ri[i];
      q[k + i] = hr[i] * ri[i] + hi[i] * rr[i];
    }
  }
  void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>&, float* q) const override {
    size_t k = static_cast<size_t>(c_.dim);
    const float *tr = p.E(t), *ti = tr + k, *rr = p.R(r), *ri = rr + k;
    for (size_t i = 0; i < k; ++i) {  // score = Re(h . (r * conj(t))), as a real dot product with h
      q[i] = rr[i] * tr[i] + ri[i] * ti[i];
      q[k + i] = rr[i] * ti[i] - ri[i] * tr[i];
    }
  }
};

}  // namespace

std::unique_ptr<Model> MakeComplEx(const ModelConfig& c) { return std::make_unique<ComplEx>(c); }

}  // namespace kgp::embed
