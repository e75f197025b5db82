// The recommendation stage over a workspace: what `kgprofile recommend | related |
// predict-next` and the demo run. `recommend --fit` learns the ranker and the next-purchase
// model on a temporal holdout (state as of T − Δ, outcomes in (T − Δ, T]), measures them on
// users they were not fitted on, refits on everyone and saves WORKSPACE/models/recommend.json.
// Serving rebuilds the candidate indexes from the events (seconds for millions of events) and
// reads the saved weights; without them a documented prior blend is used.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "profile/pipeline.h"
#include "recommend/catalog.h"
#include "recommend/engine.h"
#include "recommend/metrics.h"
#include "recommend/next_purchase.h"
#include "store/workspace.h"

namespace kgp::rec {

std::string RecommendModelPath(const std::string& workspace_dir);  // WS/models/recommend.json

// What both serving and fitting read from a workspace: graph + item index, id maps, events.
// NotFound when the workspace has no graph or no events.
struct RecInputs {
  ProfileContext profile;
  std::unique_ptr<Catalog> catalog;
  std::vector<ProfileEvent> events;
};
Result<RecInputs> LoadRecInputs(Workspace& ws);

struct RecContext {
  ProfileContext profile;  // graph and item index
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<Engine> engine;  // empty after LoadRecCatalog alone
  NextPurchaseModel next;
  bool fitted = false;  // weights read from recommend.json
};
// Graph, item index and catalogue with engine, next-purchase model and fitted weights: what
// recommending needs (O(events) time and memory).
Result<std::unique_ptr<RecContext>> LoadRecommender(Workspace& ws, const EngineOptions& opts = {});
// LoadRecommender in two steps: the catalogue side alone (engine empty; what a profile summary
// needs, with the graph of a few users when `graph` says so), then the engine from the store's
// events, models/recommend.json when fitted (refused on such a partial graph).
Result<std::unique_ptr<RecContext>> LoadRecCatalog(Workspace& ws, const GraphLoadOptions& graph = {});
Status LoadRecEngine(Workspace& ws, RecContext& rc, const EngineOptions& opts = {});

// A score from outside the recommender, measured beside the learned blend on the same held-out
// users (llm/kar.h: preference reasoning by a language model). make(past, user) is called once
// per user with outcomes, sequentially, with the engine as of the cut, and returns a score per
// candidate item. The report gets "<name> alone" and "learned blend + <name> (w=…)", the weight
// w picked on the fitting users' NDCG (0 allowed: then the row equals the learned blend).
struct ExtraScore {
  std::string name;
  std::function<std::function<double(uint32_t item)>(const Engine& past, uint32_t user)> make;
};

struct RecFitOptions {
  EngineOptions engine;
  double holdout_days = 14;   // Δ
  double test_share = 0.3;    // users held out of fitting, to measure on
  size_t k = 10;
  bool train_kge = true;      // when the workspace has embeddings: train a model on the graph as of T − Δ
  size_t negatives_per_user = 50;
  uint64_t seed = 1;
  int threads = 2;
  std::vector<ExtraScore> extra_scores;  // measured only: their rows join the saved report, never the model
};

struct MethodScores {
  std::string method;
  TopKMetrics at_k;
};

struct RecFitReport {
  int64_t cut_ts = 0, as_of = 0;
  // fit_users: fitting users who gave the ranker examples (a carted or bought item among their
  // candidates); test_users: held-out users with an outcome, measured on.
  size_t fit_users = 0, test_users = 0, examples = 0, positives = 0;
  size_t k = 10;
  double candidate_recall = 0;  // share of test users' relevant items among their candidates
  std::vector<MethodScores> holdout;  // learned blend first, then the prior and each generator alone
  std::vector<std::pair<std::string, double>> ranker_weights;  // per feature, original units
  // Next purchase.
  size_t next_examples = 0;
  Reliability next_reliability;       // fitted model on held-out users
  double next_affinity_auc = 0;       // affinity alone, same users
  std::vector<std::pair<std::string, double>> next_weights;
  double kge_s = 0, candidates_s = 0, total_s = 0;
  nlohmann::json ToJson() const;
};

// Aborted ("too little data to fit"), saving nothing, when the fitting users give fewer than
// kMinFitPositives positive examples to the ranker (items carted or bought in the window among
// their candidates) or to the next-purchase model (leaf categories bought in the window);
// NotFound when the log has no outcomes, or none on one side of the cut.
constexpr size_t kMinFitPositives = 10;
Result<RecFitReport> FitRecommender(Workspace& ws, const RecFitOptions& opts);

}  // namespace kgp::rec
