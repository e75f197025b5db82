// `eval rec --format movielens`: MovieLens ratings (u.data) as implicit feedback, every
// rating an interaction. Splits: random 80/20 over all ratings (seeded) and temporal per
// user (each user's latest 20%); full ranking of the items outside the user's training set;
// precision, recall and NDCG at 10.
#include <filesystem>

#include <fmt/format.h>

#include "recommend/eval/driver.h"

namespace kgp::rec {

Status RunMovieLensFormat(const EvalRecOptions& opts, EvalReport& report) {
  namespace fs = std::filesystem;
  std::vector<std::string> splits = opts.splits;
  if (splits.empty()) splits = {"random", "temporal"};
  for (const auto& s : splits) {  // all checked first: a typo used to end the run after the splits before it
    if (s != "random" && s != "temporal")
      return Status::InvalidArgument(fmt::format("--split {}: movielens splits are random and temporal", s));
  }
  std::string path = opts.data;
  if (fs::is_directory(path)) {
    if (fs::exists(fs::path(path) / "u.data")) {
      path = (fs::path(path) / "u.data").string();
    } else if (fs::exists(fs::path(path) / "ratings.dat")) {
      path = (fs::path(path) / "ratings.dat").string();
    } else {
      return Status::NotFound(fmt::format("{}: no u.data or ratings.dat in this folder", path));
    }
  }
  auto ratings = ReadMovieLens(path);
  if (!ratings.ok()) return ratings.status();
  std::string name = fs::path(path).parent_path().filename().string();
  if (name.empty()) name = fs::path(path).stem().string();
  RankingOptions ranking;
  ranking.ks = {opts.k > 0 ? opts.k : 10};
  ranking.threads = opts.threads;
  ranking.progress = opts.progress;
  std::vector<std::string> models = opts.models;
  if (models.empty()) models = {"mostpop", "itemknn", "bpr", "ease"};
  for (const auto& s : splits) {
    SplitData split = s == "random" ? SplitRandom(*ratings, 0.2, opts.seed) : SplitTemporalPerUser(*ratings, 0.2);
    if (opts.validation) {
      split = CarveValidation(split.train, 0.2, opts.seed);
      split.protocol = s + " split's training part; " + split.protocol;
    }
    split.dataset = name;
    KGP_RETURN_IF_ERROR(EvaluateModels(split, models, opts, ranking, report));
  }
  return Status::Ok();
}

}  // namespace kgp::rec
