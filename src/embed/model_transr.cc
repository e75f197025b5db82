// TransR (Lin et al. 2015): entities projected into each relation's space by M_r;
// score = gamma - ||M_r h + r - M_r t||_p. Relation rows hold r (relation_dim floats) then
// M_r (relation_dim x dim, row-major), initialised to the identity (TransR starts as TransE).
#include <algorithm>
#include <cmath>

#include "embed/kernels.h"
#include "embed/models.h"
#include "embed/simd.h"

namespace kgp::embed {
namespace {

// u = M x + r; returns dist = ||u||_p and leaves u in *u.
KGP_SIMD_CLONES void Project(const float* m, const float* x, size_t dr, size_t de, float* u) {
  for (size_t i = 0; i < dr; ++i) {
    const float* row = m + i * de;
    float s = 0;
    for (size_t j = 0; j < de; ++j) s += row[j] * x[j];
    u[i] = s;
  }
}

class TransR final : public Model {
 public:
  using Model::Model;
  size_t entity_width() const override { return de(); }
  size_t relation_width() const override { return dr() + dr() * de(); }
  void Init(Params& p, Rng& rng) const override {
    // As TransE: distances start near gamma's scale.
    float b = c_.init > 0 ? c_.init : DistanceInit(c_);
    FillUniform(p.entity, b, rng);
    for (size_t r = 0; r < p.num_relations; ++r) {
      float* row = p.R(static_cast<uint32_t>(r));
      for (size_t i = 0; i < dr(); ++i) row[i] = rng.Uniform(-b, b);
      float* m = row + dr();
      for (size_t i = 0; i < dr(); ++i)
        for (size_t j = 0; j < de(); ++j) m[i * de() + j] = i == j ? 1.0f : 0.0f;
    }
  }
  void Constrain(float* e) const override {
    if (c_.max_norm > 0) kernels::ClipNorm(e, entity_width(), c_.max_norm);
  }
  float Score(const float* h, const float* r, const float* t) const override {
    auto& [delta, u] = Buffers();
    for (size_t j = 0; j < de(); ++j) delta[j] = h[j] - t[j];
    Project(r + dr(), delta.data(), dr(), de(), u.data());
    for (size_t i = 0; i < dr(); ++i) u[i] += r[i];
    return c_.gamma - Norm(u.data());
  }
  void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
            float* gt) const override {
    auto& [delta, u] = Buffers();
    for (size_t j = 0; j < de(); ++j) delta[j] = h[j] - t[j];
    const float* m = r + dr();
    Project(m, delta.data(), dr(), de(), u.data());
    for (size_t i = 0; i < dr(); ++i) u[i] += r[i];
    float n = c_.norm == 2 ? Norm(u.data()) : 1.0f;
    for (size_t i = 0; i < dr(); ++i) {
      float gu = c_.norm == 1 ? (u[i] > 0 ? -g : (u[i] < 0 ? g : 0.0f)) : (n > 1e-12f ? -g * u[i] / n : 0.0f);
      if (gu == 0) continue;
      gr[i] += gu;
      kernels::Axpy(gu, delta.data(), gr + dr() + i * de(), de());  // dM
      kernels::Axpy(gu, m + i * de(), gh, de());                      // M^T gu
      kernels::Axpy(-gu, m + i * de(), gt, de());
    }
  }
  void PrepareRelation(const Params& p, uint32_t r, std::vector<float>* scratch) const override {
    scratch->resize(p.num_entities * dr());
    const float* m = p.R(r) + dr();
    for (size_t e = 0; e < p.num_entities; ++e)
      Project(m, p.E(static_cast<uint32_t>(e)), dr(), de(), scratch->data() + e * dr());
  }
  Form form() const override { return c_.norm == 1 ? Form::kL1 : Form::kL2; }
  size_t query_width() const override { return dr(); }
  const float* CandidateRows(const Params&, const std::vector<float>& proj) const override { return proj.data(); }
  // Tails: q = M h + r; heads: q = M t - r; the distance to M e is symmetric.
  void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>& proj, float* q) const override {
    for (size_t i = 0; i < dr(); ++i) q[i] = proj[h * dr() + i] + p.R(r)[i];
  }
  void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>& proj, float* q) const override {
    for (size_t i = 0; i < dr(); ++i) q[i] = proj[t * dr() + i] - p.R(r)[i];
  }

 private:
  size_t de() const { return static_cast<size_t>(c_.dim); }
  size_t dr() const { return static_cast<size_t>(c_.relation_dim > 0 ? c_.relation_dim : c_.dim); }
  float Norm(const float* u) const {
    float s = 0;
    if (c_.norm == 1) {
      for (size_t i = 0; i < dr(); ++i) s += std::fabs(u[i]);
      return s;
    }
    for (size_t i = 0; i < dr(); ++i) s += u[i] * u[i];
    return std::sqrt(s);
  }
  std::pair<std::vector<float>, std::vector<float>>& Buffers() const {
    thread_local std::pair<std::vector<float>, std::vector<float>> b;
    if (b.first.size() < de()) b.first.resize(de());
    if (b.second.size() < dr()) b.second.resize(dr());
    return b;
  }
};

}  // namespace

std::unique_ptr<Model> MakeTransR(const ModelConfig& c) { return std::make_unique<TransR>(c); }

}  // namespace kgp::embed
