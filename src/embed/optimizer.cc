#include "embed/optimizer.h"

#include <cmath>

#include <fmt/format.h>

#include "embed/simd.h"

namespace kgp::embed {

Result<OptimizerKind> ParseOptimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adagrad") return OptimizerKind::kAdagrad;
  if (name == "adam") return OptimizerKind::kAdam;
  return Status::InvalidArgument(fmt::format("unknown optimizer '{}' (sgd, adagrad, adam)", name));
}

Result<Regularizer> ParseRegularizer(const std::string& name) {
  if (name == "none") return Regularizer::kNone;
  if (name == "l2") return Regularizer::kL2;
  if (name == "n3") return Regularizer::kN3;
  return Status::InvalidArgument(fmt::format("unknown regulariser '{}' (none, l2, n3)", name));
}

const char* OptimizerName(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::kSgd: return "sgd";
    case OptimizerKind::kAdagrad: return "adagrad";
    case OptimizerKind::kAdam: return "adam";
  }
  return "?";
}

const char* RegularizerName(Regularizer r) {
  switch (r) {
    case Regularizer::kNone: return "none";
    case Regularizer::kL2: return "l2";
    case Regularizer::kN3: return "n3";
  }
  return "?";
}

namespace {
void Size(TableState& st, OptimizerKind kind, size_t rows, size_t width) {
  size_t n = rows * width;
  bool moments = kind != OptimizerKind::kSgd;
  if (moments && st.a.size() != n) st.a.assign(n, 0.0f);
  if (kind == OptimizerKind::kAdam && st.b.size() != n) st.b.assign(n, 0.0f);
  if (kind == OptimizerKind::kAdam && st.pow1.size() != rows) st.pow1.assign(rows, 1.0f), st.pow2.assign(rows, 1.0f);
  if (!moments) st.a.clear();
  if (kind != OptimizerKind::kAdam) st.b.clear(), st.pow1.clear(), st.pow2.clear();
}

KGP_SIMD_CLONES void SgdStep(float lr, float* __restrict x, const float* __restrict g, size_t d) {
  for (size_t i = 0; i < d; ++i) x[i] -= lr * g[i];
}

KGP_SIMD_CLONES void AdagradStep(float lr, float eps, float* __restrict x, const float* __restrict g, float* __restrict acc, size_t d) {
  for (size_t i = 0; i < d; ++i) {
    acc[i] += g[i] * g[i];
    x[i] -= lr * g[i] / (std::sqrt(acc[i]) + eps);
  }
}

KGP_SIMD_CLONES void AdamStep(float lr, float b1, float b2, float eps, float c1, float c2, float* __restrict x,
                              const float* __restrict g, float* __restrict m, float* __restrict v, size_t d) {
  for (size_t i = 0; i < d; ++i) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    x[i] -= lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
  }
}
}  // namespace

void OptimizerState::Prepare(const Params& p) {
  Size(entity, kind, p.num_entities, p.entity_width);
  Size(relation, kind, p.num_relations, p.relation_width);
}

void ApplyUpdate(const UpdateRule& rule, float lr, float* x, const float* g, size_t d, TableState& st, size_t row) {
  thread_local std::vector<float> buf;
  if (rule.reg != Regularizer::kNone && rule.reg_weight > 0) {
    if (buf.size() < d) buf.resize(d);
    float w = rule.reg_weight;
    if (rule.reg == Regularizer::kL2)
      for (size_t i = 0; i < d; ++i) buf[i] = g[i] + 2 * w * x[i];
    else
      for (size_t i = 0; i < d; ++i) buf[i] = g[i] + 3 * w * x[i] * std::fabs(x[i]);
    g = buf.data();
  }
  switch (rule.kind) {
    case OptimizerKind::kSgd:
      SgdStep(lr, x, g, d);
      break;
    case OptimizerKind::kAdagrad:
      AdagradStep(lr, 1e-10f, x, g, st.a.data() + row * d, d);
      break;
    case OptimizerKind::kAdam: {
      float p1 = st.pow1[row] *= rule.beta1, p2 = st.pow2[row] *= rule.beta2;
      float c1 = 1.0f / (1.0f - p1), c2 = 1.0f / (1.0f - p2);
      AdamStep(lr, rule.beta1, rule.beta2, rule.eps, c1, c2, x, g, st.a.data() + row * d, st.b.data() + row * d, d);
      break;
    }
  }
}

}  // namespace kgp::embed
