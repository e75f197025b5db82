// TransE (Bordes et al. 2013): h + r ≈ t; score = gamma - ||h + r - t||_p.
#include <cmath>

#include "embed/kernels.h"
#include "embed/models.h"

namespace kgp::embed {
namespace {

class TransE final : public Model {
 public:
  using Model::Model;
  size_t entity_width() const override { return static_cast<size_t>(c_.dim); }
  size_t relation_width() const override { return static_cast<size_t>(c_.dim); }
  void Init(Params& p, Rng& rng) const override {
    // Scores start near gamma's scale (DistanceInit).
    float b = c_.init > 0 ? c_.init : DistanceInit(c_);
    FillUniform(p.entity, b, rng);
    FillUniform(p.relation, b, rng);
  }
  void Constrain(float* e) const override {
    if (c_.max_norm > 0) kernels::ClipNorm(e, entity_width(), c_.max_norm);
  }
  float Score(const float* h, const float* r, const float* t) const override {
    return c_.gamma - kernels::TransDist(h, r, t, entity_width(), c_.norm);
  }
  void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
            float* gt) const override {
    kernels::TransDistGrad(h, r, t, entity_width(), c_.norm, g, gh, gr, gt);
  }
  Form form() const override { return c_.norm == 1 ? Form::kL1 : Form::kL2; }
  void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>&, float* q) const override {
    for (size_t i = 0; i < entity_width(); ++i) q[i] = p.E(h)[i] + p.R(r)[i];
  }
  void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>&, float* q) const override {
    for (size_t i = 0; i < entity_width(); ++i) q[i] = p.E(t)[i] - p.R(r)[i];  // |e + r - t| = |e - (t - r)|
  }
};

}  // namespace

std::unique_ptr<Model> MakeTransE(const ModelConfig& c) { return std::make_unique<TransE>(c); }

}  // namespace kgp::embed
