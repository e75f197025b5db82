// The sequence (S3-Rec) and CTR (KGCN) protocols as formats of the harness: the options of
// `kgprofile eval rec` mapped onto theirs (protocol_options.h). Every model spec the factory
// knows runs under them, so the collaborative baselines share the table.
#include "recommend/eval/driver.h"
#include "recommend/eval/kgcn.h"
#include "recommend/eval/sequences.h"

namespace kgp::rec {

namespace {
EvalOptions ProtocolOptions(const EvalRecOptions& o) {
  EvalOptions p;
  p.models = o.models;
  p.validation = o.validation;
  p.refit = o.refit;
  p.fit_seed = o.seed;  // the negatives keep the protocol's own seed (S3-Rec samples with 12345)
  p.threads = o.threads;
  p.quiet = !o.progress;
  return p;
}
}  // namespace

Status RunSequencesFormat(const EvalRecOptions& opts, EvalReport& report) {
  return EvaluateSequences(opts.data, ProtocolOptions(opts), report);
}

Status RunKgcnFormat(const EvalRecOptions& opts, EvalReport& report) {
  return EvaluateKgcn(opts.data, ProtocolOptions(opts), report);
}

}  // namespace kgp::rec
