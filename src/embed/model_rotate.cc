// RotatE (Sun et al. 2019): t ≈ h ∘ r with |r_i| = 1; score = gamma - sum_i |h_i r_i - t_i|.
// Entity rows hold dim real parts then dim imaginary parts; relation rows hold dim phases.
#include <cmath>

#include "embed/kernels.h"
#include "embed/models.h"
#include "embed/simd.h"

namespace kgp::embed {
namespace {

constexpr float kPi = 3.14159265358979f;

KGP_SIMD_CLONES float RotateDist(const float* h, const float* c, const float* s, const float* t, size_t k) {
  const float *hr = h, *hi = h + k, *tr = t, *ti = t + k;
  float d = 0;
  for (size_t i = 0; i < k; ++i) {
    float a = hr[i] * c[i] - hi[i] * s[i] - tr[i];
    float b = hr[i] * s[i] + hi[i] * c[i] - ti[i];
    d += std::sqrt(a * a + b * b);
  }
  return d;
}

KGP_SIMD_CLONES void RotateGrad(const float* h, const float* c, const float* s, const float* t, size_t k, float g,
                                float* __restrict gh, float* __restrict gr, float* __restrict gt) {
  const float *hr = h, *hi = h + k, *tr = t, *ti = t + k;
  for (size_t i = 0; i < k; ++i) {
    float ur = hr[i] * c[i] - hi[i] * s[i] - tr[i];
    float ui = hr[i] * s[i] + hi[i] * c[i] - ti[i];
    float n = std::sqrt(ur * ur + ui * ui);
    float inv = n > 1e-9f ? -g / n : 0.0f;  // d(score)/d(u) = -u / |u|, times g
    float a = inv * ur, b = inv * ui;
    gh[i] += a * c[i] + b * s[i];
    gh[k + i] += b * c[i] - a * s[i];
    gt[i] -= a;
    gt[k + i] -= b;
    gr[i] += a * (-hr[i] * s[i] - hi[i] * c[i]) + b * (hr[i] * c[i] - hi[i] * s[i]);
  }
}

class RotatE final : public Model {
 public:
  using Model::Model;
  size_t entity_width() const override { return 2 * k(); }
  size_t relation_width() const override { return k(); }
  void Init(Params& p, Rng& rng) const override {
    float b = c_.init > 0 ? c_.init : (c_.gamma + 2.0f) / static_cast<float>(c_.dim);
    FillUniform(p.entity, b, rng);
    FillUniform(p.relation, kPi, rng);
  }
  float Score(const float* h, const float* r, const float* t) const override {
    auto& [s, c] = Buffers();
    kernels::SinCos(r, s.data(), c.data(), k());
    return c_.gamma - RotateDist(h, c.data(), s.data(), t, k());
  }
  void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
            float* gt) const override {
    auto& [s, c] = Buffers();
    kernels::SinCos(r, s.data(), c.data(), k());
    RotateGrad(h, c.data(), s.data(), t, k(), g, gh, gr, gt);
  }
  Form form() const override { return Form::kModulus; }
  void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>&, float* q) const override {
    Rotate(p.E(h), p.R(r), 1.0f, q);
  }
  void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>&, float* q) const override {
    Rotate(p.E(t), p.R(r), -1.0f, q);  // |h r - t| = |h - t conj(r)|
  }

 private:
  size_t k() const { return static_cast<size_t>(c_.dim); }
  std::pair<std::vector<float>, std::vector<float>>& Buffers() const {
    thread_local std::pair<std::vector<float>, std::vector<float>> b;
    if (b.first.size() < k()) b.first.resize(k()), b.second.resize(k());
    return b;
  }
  void Rotate(const float* e, const float* phase, float dir, float* q) const {
    std::vector<float> s(k()), c(k());
    kernels::SinCos(phase, s.data(), c.data(), k());
    for (size_t i = 0; i < k(); ++i) {
      float sn = dir * s[i];
      q[i] = e[i] * c[i] - e[k() + i] * sn;
      q[k() + i] = e[i] * sn + e[k() + i] * c[i];
    }
  }
};

}  // namespace

std::unique_ptr<Model> MakeRotatE(const ModelConfig& c) { return std::make_unique<RotatE>(c); }

}  // namespace kgp::embed
