// `eval rec --format kgat`: KGAT's own split and evaluation (Wang et al., KDD 2019;
// Model/utility/batch_test.py): users with test items, every item not in the user's
// training set ranked, recall@20 = hits / |test items|, NDCG@20 both standard and as KGAT's
// code computes it (ranking.h).
#include <filesystem>

#include "common/strings.h"
#include "recommend/eval/driver.h"

namespace kgp::rec {

namespace {
// Figures printed beside ours (docs/recommend-eval.md says where each comes from).
void AddPublished(const std::string& dataset, EvalReport& report) {
  if (dataset.find("amazon-book") == std::string::npos) return;
  auto& p = report.published[dataset];
  p["KGAT (paper) recall@20"] = 0.1489;
  p["KGAT (paper) ndcg@20 (KGAT)"] = 0.1006;
  p["KGIN (paper) recall@20"] = 0.1687;
  p["BPRMF (KGAT-pytorch README) recall@20"] = 0.1395;
  p["BPRMF (KGAT-pytorch README) ndcg@20"] = 0.0736;
}
}  // namespace

Status RunKgatFormat(const EvalRecOptions& opts, EvalReport& report) {
  auto split = LoadKgatSplit(opts.data, opts.validation, opts.seed);
  if (!split.ok()) return split.status();
  RankingOptions ranking;
  ranking.ks = {opts.k > 0 ? opts.k : 20};
  ranking.kgat_ndcg = true;
  ranking.threads = opts.threads;
  ranking.progress = opts.progress;
  std::vector<std::string> models = opts.models;
  if (models.empty()) models = {"mostpop", "itemknn", "bpr", "ease"};
  if (!opts.validation) AddPublished(split->dataset, report);
  return EvaluateModels(*split, models, opts, ranking, report);
}

}  // namespace kgp::rec
