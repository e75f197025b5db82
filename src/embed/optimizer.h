// Per-row parameter updates for hogwild training: SGD, Adagrad and lazy (sparse) Adam, with
// optional L2 or N3 regularisation applied to the rows a step touches. State lives beside
// the parameter tables and is saved in checkpoints so training can resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "embed/model.h"

namespace kgp::embed {

enum class OptimizerKind { kSgd, kAdagrad, kAdam };
enum class Regularizer { kNone, kL2, kN3 };

Result<OptimizerKind> ParseOptimizer(const std::string& name);
Result<Regularizer> ParseRegularizer(const std::string& name);
const char* OptimizerName(OptimizerKind k);
const char* RegularizerName(Regularizer r);

struct TableState {
  FloatTable a, b;             // Adagrad: a = sum of squares; Adam: a = m, b = v
  std::vector<float> pow1, pow2;  // Adam: beta1^t and beta2^t of each row (t = its updates)
};

struct OptimizerState {
  OptimizerKind kind = OptimizerKind::kAdam;
  TableState entity, relation;
  // Sizes the state for p (keeps existing state when the sizes already match).
  void Prepare(const Params& p);
};

struct UpdateRule {
  OptimizerKind kind = OptimizerKind::kAdam;
  Regularizer reg = Regularizer::kNone;
  float reg_weight = 0;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
};

// x -= lr * step(g + regulariser'(x)) for one row of width d; row is the row index in st.
void ApplyUpdate(const UpdateRule& rule, float lr, float* x, const float* g, size_t d, TableState& st, size_t row);

}  // namespace kgp::embed
