#include "recommend/eval/driver.h"

#include <chrono>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "recommend/algo/factory.h"
#include "recommend/eval/model_registry.h"

namespace kgp::rec {

const std::vector<EvalFormat>& EvalFormats() {
  static const std::vector<EvalFormat> kFormats = {
      {"kgat", "KGAT folder (train.txt, test.txt: `user item item ...`); full ranking, recall/ndcg@20",
       RunKgatFormat, /*takes_split=*/false, /*takes_k=*/true, /*takes_refit=*/false},
      {"movielens", "MovieLens u.data (user item rating time); random 80/20 and per-user temporal splits, "
                    "full ranking, precision/recall/ndcg@10",
       RunMovieLensFormat, /*takes_split=*/true, /*takes_k=*/true, /*takes_refit=*/false},
      {"sequences", "S3-Rec folder (<Name>.txt: `user item item ...` chronological, optional "
                    "<Name>_item2attributes.json); leave-one-out, 99 sampled negatives, HR/NDCG@10, MRR; "
                    "with and without attributes",
       RunSequencesFormat, /*takes_split=*/false, /*takes_k=*/false, /*takes_refit=*/true},
      {"kgcn", "KGCN folder (user_artists.dat or ratings, item_index2entity_id.txt, kg.txt); CTR on a 6:2:2 split "
               "with 1:1 sampled negatives, AUC and F1; with and without the KG",
       RunKgcnFormat, /*takes_split=*/false, /*takes_k=*/false, /*takes_refit=*/false},
  };
  return kFormats;
}

namespace {

// An option the format has no use for is an error: ignored, it read as applied (an HR@10 table
// for --k 20).
Status CheckFormatOptions(const EvalFormat& f, const EvalRecOptions& opts) {
  std::string takes;
  for (auto [option, yes] : {std::pair{"--split", f.takes_split}, {"--k", f.takes_k}, {"--refit", f.takes_refit}}) {
    if (yes) takes += (takes.empty() ? "" : ", ") + std::string(option);
  }
  const auto refuse = [&](std::string_view option) {
    return Status::InvalidArgument(fmt::format("{} does not apply to --format {} (of --split, --k and --refit it takes {})",
                                               option, f.name, takes.empty() ? "none" : takes));
  };
  if (!opts.splits.empty() && !f.takes_split) return refuse("--split");
  if (opts.k != 0 && !f.takes_k) return refuse("--k");
  if (opts.refit && !f.takes_refit) return refuse("--refit");
  if (opts.refit && opts.validation)
    return Status::InvalidArgument(
        "--refit refits for the test item; with --validation the validation item is scored and nothing is refitted");
  return Status::Ok();
}

}  // namespace

Status RunEvalRec(const EvalRecOptions& opts, EvalReport& report) {
  for (const auto& f : EvalFormats()) {
    if (f.name != opts.format) continue;
    KGP_RETURN_IF_ERROR(CheckFormatOptions(f, opts));
    KGP_RETURN_IF_ERROR(CheckModelSpecs(opts.models));
    return f.run(opts, report);
  }
  std::string known;
  for (const auto& f : EvalFormats()) known += (known.empty() ? "" : ", ") + f.name;
  return Status::InvalidArgument(fmt::format("unknown format '{}' (known: {})", opts.format, known));
}

Status EvaluateModels(const SplitData& split, const std::vector<std::string>& specs, const EvalRecOptions& opts,
                      const RankingOptions& ranking, EvalReport& report) {
  // Parse every spec before fitting anything: a typo fails in a second, not after an hour.
  std::vector<ModelSpec> parsed;
  for (const auto& s : specs) {
    auto spec = ParseModelSpec(s);
    if (!spec.ok()) return spec.status();
    auto probe = MakeRecommender(*spec);
    if (!probe.ok()) return probe.status();
    parsed.push_back(std::move(*spec));
  }
  // Nothing held out (an empty test file): a table of empty rows would pass for a result.
  if (split.test_users() == 0)
    return Status::InvalidArgument(fmt::format("{} ({}): no user has a held-out item to rank{}; nothing to evaluate",
                                               opts.data, split.protocol,
                                               opts.validation ? "" : " (is the test data empty?)"));
  LOG_INF("{} ({}): {} users × {} items, {} training pairs, {} held-out pairs for {} users", split.dataset,
          split.protocol, split.train.num_users(), split.num_items(), split.train.nnz(), split.test_pairs(),
          split.test_users());
  for (const auto& spec : parsed) {
    auto model = MakeRecommender(spec);
    if (!model.ok()) return model.status();
    FitOptions fit;
    fit.threads = opts.threads;
    fit.seed = opts.seed;
    fit.quiet = !opts.progress;
    LOG_INF("fitting {}{}", (*model)->name(), spec.params.empty() ? "" : " (" + spec.params.ToString() + ")");
    auto t0 = std::chrono::steady_clock::now();
    Status st = (*model)->Fit(split.train, fit);
    if (!st.ok()) return st;
    double fit_s = SecondsSince(t0);
    RankingResult r = EvaluateFullRanking(**model, split.train, split.test, ranking);
    EvalRow row;
    row.dataset = split.dataset;
    row.protocol = split.protocol;
    row.model = std::string((*model)->name());
    row.variant = spec.params.ToString();
    row.metrics = r.metrics;
    row.fit_s = fit_s;
    row.eval_s = r.seconds;
    row.users = r.users;
    std::string summary;
    for (const auto& [k, v] : r.metrics) summary += fmt::format(" {}={:.4f}", k, v);
    LOG_INF("{}: fit {:.1f}s, eval {:.1f}s:{}", row.model, fit_s, r.seconds, summary);
    report.rows.push_back(std::move(row));
  }
  return Status::Ok();
}

}  // namespace kgp::rec
