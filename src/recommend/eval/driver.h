// The offline recommendation harness behind `kgprofile eval rec`: a dataset format is one
// entry of EvalFormats() (name → function that loads the data, applies the format's
// published protocol and fills report rows); every format evaluates the same model specs
// through EvaluateModels, so baselines and our models run in the same command on the same
// split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "recommend/eval/ranking.h"
#include "recommend/eval/report.h"
#include "recommend/eval/split.h"

namespace kgp::rec {

struct EvalRecOptions {
  std::string data;                  // a folder (or a file, where the format allows)
  std::string format;                // an EvalFormats() name
  std::vector<std::string> models;   // specs `name[:key=value]...`; empty: the format's defaults
  std::vector<std::string> splits;   // movielens only: random, temporal; empty: both
  int k = 0;                         // kgat, movielens: cut-off; 0: the format's published one
  int threads = 2;
  uint64_t seed = 1;
  // Hold out part of the training data instead of reading the test data (choose
  // hyperparameters here, never on test).
  bool validation = false;
  // sequences only, not with validation: score the test item with a model refitted on everything but it (not S3-Rec's
  // protocol, which keeps the model fitted without the last two items; reported apart).
  bool refit = false;
  bool progress = true;
};

using FormatRunner = Status (*)(const EvalRecOptions& opts, EvalReport& report);
struct EvalFormat {
  std::string name;
  std::string summary;
  FormatRunner run;
  // The options only some formats have a use for: RunEvalRec refuses one the format does not
  // take (it used to be ignored without a word: sequences --k 20 printed HR@10).
  bool takes_split = false;  // EvalRecOptions::splits
  bool takes_k = false;      // EvalRecOptions::k (the others report their protocol's fixed cut-offs)
  bool takes_refit = false;  // EvalRecOptions::refit
};
// Every format the harness knows, in help order.
const std::vector<EvalFormat>& EvalFormats();

// Runs opts.format, after refusing an option the format does not take. Rows are appended to
// report as each model finishes.
Status RunEvalRec(const EvalRecOptions& opts, EvalReport& report);

// Fits every model spec on split.train and ranks on split.test; one row per model.
Status EvaluateModels(const SplitData& split, const std::vector<std::string>& specs, const EvalRecOptions& opts,
                      const RankingOptions& ranking, EvalReport& report);

// Format runners (one file each).
Status RunKgatFormat(const EvalRecOptions& opts, EvalReport& report);
Status RunMovieLensFormat(const EvalRecOptions& opts, EvalReport& report);
Status RunSequencesFormat(const EvalRecOptions& opts, EvalReport& report);  // format_seq.cc
Status RunKgcnFormat(const EvalRecOptions& opts, EvalReport& report);

}  // namespace kgp::rec
