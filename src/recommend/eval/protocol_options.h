// Options shared by the published-protocol evaluations of the sequential and KG-aware models
// (EvaluateSequences: S3-Rec leave-one-out with 99 sampled negatives; EvaluateKgcn: KGCN's
// CTR protocol). Each protocol is one function `Status EvaluateXxx(dir, EvalOptions,
// EvalReport&)` that the harness dispatches to by format name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "recommend/model.h"

namespace kgp::rec {

// Builds a model from a spec such as "seqmix" or "seqmix:two_hop=1". The protocols use
// their own factory (models of src/recommend/seq, src/recommend/kg and a popularity
// baseline) unless the caller passes one that knows more models.
using ModelFactory = std::function<Result<std::unique_ptr<Recommender>>(std::string_view spec)>;

struct EvalOptions {
  std::vector<std::string> models;  // specs; empty: the protocol's defaults
  ModelFactory make_model;          // empty: the protocol's own factory
  // Side-information ablation: run every model with the side information (item attributes,
  // KG triples) and without it, as two rows "with KG" / "without KG". false: with only.
  bool ablation = true;
  // Score the validation item (second to last; KGCN: the 20 % eval part) instead of the test
  // item. Choose hyperparameters here, never on test.
  bool validation = false;
  // Sequences only: for the test item, refit on everything but the test item (train +
  // validation item) instead of using the model fitted for validation, as S3-Rec does.
  bool refit = false;
  uint64_t seed = 12345;  // negative sampling and splits; S3-Rec samples with seed 12345
  uint64_t fit_seed = 1;  // model training
  int threads = 2;
  bool quiet = false;
  // Use only the first max_users users of the file (tests, quick checks); 0: all.
  size_t max_users = 0;
};

}  // namespace kgp::rec
