#include "recommend/pipeline.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/strings.h"
#include "embed/kge.h"
#include "profile/builder.h"

namespace kgp::rec {

namespace {
nlohmann::json WeightsJson(const std::vector<std::pair<std::string, double>>& w) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : w) j[k] = v;
  return j;
}
}  // namespace

namespace {
Status LoadCatalogSide(Workspace& ws, ProfileContext& profile, std::unique_ptr<Catalog>& catalog,
                       const GraphLoadOptions& graph = {}) {
  auto ctx = LoadProfileContext(ws, graph);
  if (!ctx.ok()) return ctx.status();
  profile = std::move(*ctx);
  auto cat = Catalog::Load(ws.db(), *profile.graph);
  if (!cat.ok()) return cat.status();
  catalog = std::make_unique<Catalog>(std::move(*cat));
  return Status::Ok();
}

Result<std::vector<ProfileEvent>> LoadRecEvents(Workspace& ws) {
  std::vector<ProfileEvent> events = LoadEvents(ws.db());
  if (events.empty()) return Status::NotFound(fmt::format("{}: no events: ingest behaviour before recommending", ws.dir()));
  return events;
}
}  // namespace

Result<RecInputs> LoadRecInputs(Workspace& ws) {
  RecInputs in;
  KGP_RETURN_IF_ERROR(LoadCatalogSide(ws, in.profile, in.catalog));
  auto events = LoadRecEvents(ws);
  if (!events.ok()) return events.status();
  in.events = std::move(*events);
  return in;
}

std::string RecommendModelPath(const std::string& dir) {
  return (std::filesystem::path(dir) / "models" / "recommend.json").string();
}

Result<std::unique_ptr<RecContext>> LoadRecCatalog(Workspace& ws, const GraphLoadOptions& graph) {
  auto rc = std::make_unique<RecContext>();
  KGP_RETURN_IF_ERROR(LoadCatalogSide(ws, rc->profile, rc->catalog, graph));
  return rc;
}

Status LoadRecEngine(Workspace& ws, RecContext& rc, const EngineOptions& opts) {
  if (rc.profile.graph->partial())
    return Status::Internal("the recommender needs the whole graph; this one was loaded for a few users");
  KGP_RETURN_IF_ERROR(CheckEngineOptions(opts));
  const std::string path = RecommendModelPath(ws.dir());
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption(fmt::format("{}: {} (run `kgprofile recommend {} --fit` again)", path, why, ws.dir()));
  };
  nlohmann::json j;
  const bool fitted = std::filesystem::exists(path);
  if (fitted) {
    try {
      std::ifstream in(path);
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      return corrupt(e.what());
    }
  }
  // The ranker's weights belong to the features it was fitted with: serve the same CF model.
  EngineOptions eo = opts;
  if (fitted) eo.cf = j.value("cf", std::string("none"));
  auto events = LoadRecEvents(ws);
  if (!events.ok()) return events.status();
  const Graph& g = *rc.profile.graph;
  // recommend.kge_ann_min_items (kgprofile.conf): catalogues at least this large retrieve
  // embedding candidates through the item index; 0 (the default) scores every item.
  const std::string ann_setting = ws.Setting("recommend.kge_ann_min_items", "0");
  const auto ann_min = ParseInt(ann_setting);
  if (!ann_min || *ann_min < 0)
    return Status::InvalidArgument(fmt::format("kgprofile.conf: recommend.kge_ann_min_items = '{}': expected a count", ann_setting));
  auto kge = KgeScorer::Load(embed::WorkspaceModelPath(ws.dir()), *rc.catalog,
                             *ann_min == 0 ? SIZE_MAX : static_cast<size_t>(*ann_min));
  if (!kge.ok()) return kge.status();
  History h = History::Build(*events, INT64_MAX, *rc.profile.items, eo.history);
  std::vector<ProfileEvent>().swap(*events);  // the history holds its own copy
  auto engine = std::make_unique<Engine>(g, *rc.profile.items, *rc.catalog, std::move(h),
                                         std::shared_ptr<const KgeScorer>(std::move(*kge)), eo);
  NextPurchaseModel next;
  next.popular_leaves = TopPurchasedLeaves(*engine, 5);
  if (fitted) {
    try {
      auto ranker = Logistic::FromJson(j.at("ranker"), kNumFeatures);
      if (!ranker.ok()) return corrupt(ranker.status().message());
      engine->SetRanker(std::move(*ranker));
      const auto& np = j.at("next_purchase");
      auto model = Logistic::FromJson(np.at("model"), kNumNextFeatures);
      if (!model.ok()) return corrupt(model.status().message());
      next.model = std::move(*model);
      next.window_days = np.at("window_days").get<double>();
      next.popular_leaves.clear();
      for (const auto& spec : np.at("popular_leaves"))
        if (auto n = g.FindSpec(spec.get<std::string>())) next.popular_leaves.push_back(*n);
    } catch (const std::exception& e) {
      return corrupt(e.what());
    }
  }
  rc.engine = std::move(engine);
  rc.next = std::move(next);
  rc.fitted = fitted;
  return Status::Ok();
}

Result<std::unique_ptr<RecContext>> LoadRecommender(Workspace& ws, const EngineOptions& opts) {
  KGP_RETURN_IF_ERROR(CheckEngineOptions(opts));
  auto rc = LoadRecCatalog(ws);
  if (!rc.ok()) return rc.status();
  KGP_RETURN_IF_ERROR(LoadRecEngine(ws, **rc, opts));
  return rc;
}

nlohmann::json RecFitReport::ToJson() const {
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& m : holdout)
    methods.push_back({{"method", m.method}, {"precision", m.at_k.precision}, {"recall", m.at_k.recall},
                       {"ndcg", m.at_k.ndcg}, {"hit", m.at_k.hit}});
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : next_reliability.bins)
    if (b.n) bins.push_back({{"lo", b.lo}, {"hi", b.hi}, {"predicted", b.predicted}, {"observed", b.observed}, {"n", b.n}});
  return {{"cut_ts", cut_ts}, {"as_of", as_of}, {"k", k}, {"fit_users", fit_users}, {"test_users", test_users},
          {"examples", examples}, {"positives", positives}, {"candidate_recall", candidate_recall},
          {"holdout", methods}, {"ranker_weights", WeightsJson(ranker_weights)},
          {"next_purchase", {{"examples", next_examples}, {"auc", next_reliability.auc},
                             {"affinity_auc", next_affinity_auc}, {"ece", next_reliability.ece},
                             {"brier", next_reliability.brier}, {"base_rate", next_reliability.base_rate},
                             {"reliability", bins}, {"weights", WeightsJson(next_weights)}}},
          {"seconds", {{"kge", kge_s}, {"candidates", candidates_s}, {"total", total_s}}}};
}

}  // namespace kgp::rec
