// Standalone driver for the sequential and CTR protocols until `kgprofile eval rec
// --format sequences|kgcn` dispatches to EvaluateSequences / EvaluateKgcn:
//   kgprofile_eval_rec_seq --format sequences ../shared/data/s3rec-amazon-beauty
//   kgprofile_eval_rec_seq --format kgcn ../shared/data/kgcn-lastfm [--valid] [--json out.json]
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/log.h"
#include "recommend/eval/kgcn.h"
#include "recommend/eval/sequences.h"

int main(int argc, char** argv) {
  CLI::App app{"sequential / KG-aware recommendation protocols (S3-Rec leave-one-out, KGCN CTR)"};
  std::string format, dir, json_out;
  kgp::rec::EvalOptions o;
  bool no_ablation = false;
  app.add_option("--format", format, "sequences | kgcn")->required();
  app.add_option("DIR", dir, "dataset folder")->required();
  app.add_option("--models", o.models, "model specs name[:key=value,...] (default: the protocol's)")->delimiter(' ');
  app.add_flag("--valid", o.validation, "score the validation item / eval part (tuning), not test");
  app.add_flag("--refit", o.refit, "sequences: refit on train + validation item before scoring test");
  app.add_flag("--no-ablation", no_ablation, "only the with-KG variant");
  app.add_option("--seed", o.seed, "sampling / split seed")->capture_default_str();
  app.add_option("--fit-seed", o.fit_seed, "training seed")->capture_default_str();
  app.add_option("--threads", o.threads, "threads")->capture_default_str();
  app.add_option("--max-users", o.max_users, "only the first N users")->capture_default_str();
  app.add_option("--json", json_out, "also write the report as JSON");
  CLI11_PARSE(app, argc, argv);
  o.ablation = !no_ablation;
  kgp::rec::EvalReport report;
  kgp::Status s = format == "sequences" ? kgp::rec::EvaluateSequences(dir, o, report)
                  : format == "kgcn"    ? kgp::rec::EvaluateKgcn(dir, o, report)
                                        : kgp::Status::InvalidArgument("--format must be sequences or kgcn");
  if (!s.ok()) {
    std::cerr << "error: " << s.ToString() << "\n";
    return 1;
  }
  std::cout << report.Table();
  if (!json_out.empty()) std::ofstream(json_out) << report.ToJson().dump(2) << "\n";
  return 0;
}
