// FitRecommender (pipeline.h): temporal holdout, user-disjoint measurement, refit, save.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/out_file.h"
#include "common/progress.h"
#include "common/time.h"
#include "common/threads.h"
#include "embed/kge.h"
#include "embed/presets.h"
#include "recommend/pipeline.h"

namespace kgp::rec {

namespace {
// An embedding model trained on the graph as it was at `cut`, so that its scores carry no
// knowledge of the outcomes being predicted.
Result<std::shared_ptr<const KgeScorer>> TrainPastKge(const Graph& g, const Catalog& cat, int64_t cut,
                                                      const std::string& model, int threads) {
  embed::Dataset ds = embed::DatasetFromGraph(g, 0, 0, cut);
  auto preset = embed::GetPreset("ecommerce", model, ds.num_entities());
  if (!preset.ok()) return preset.status();
  preset->train.threads = threads;
  auto ck = embed::TrainPreset(ds, *preset, nullptr, nullptr, nullptr);
  if (!ck.ok()) return ck.status();
  auto s = KgeScorer::Create(std::move(*ck), cat);
  if (!s.ok()) return s.status();
  return std::shared_ptr<const KgeScorer>(std::move(*s));
}

struct UserCase {
  uint32_t user;
  bool test;
  std::unordered_set<uint32_t> relevant;     // items carted or bought in the window
  std::unordered_set<NodeId> bought_leaves;  // leaf categories bought in the window
  std::vector<Recommendation> cands;
  std::vector<CategoryPropensity> next;
};

std::vector<std::pair<std::string, double>> Named(const Logistic& l, const char* (*name)(int)) {
  std::vector<std::pair<std::string, double>> out;
  auto w = l.RawWeights();
  for (size_t f = 0; f < w.size(); ++f) out.emplace_back(name(static_cast<int>(f)), w[f]);
  return out;
}

// The candidates of c the ranker is fitted on, in their order: every outcome, and a
// deterministic sample of the others (about one in four, at most `negatives`), which keeps the
// fit small. Taking it twice gives the same list.
std::vector<Recommendation> FitExamples(const UserCase& c, size_t negatives, uint64_t seed) {
  std::vector<Recommendation> out;
  size_t negs = 0;
  for (const auto& r : c.cands) {
    const bool pos = c.relevant.count(r.item) > 0;
    if (!pos && (negs >= negatives || ((HashCombine(seed, HashCombine(c.user, r.item)) * 0x9E3779B97F4A7C15ull) >> 62) != 0)) continue;
    negs += !pos;
    out.push_back(r);
  }
  return out;
}

// users: how many users gave examples (those with an outcome among their candidates).
void FitRanker(const std::vector<UserCase>& cases, bool include_test, size_t negatives, uint64_t seed, Logistic& out,
               size_t* examples, size_t* positives, size_t* users) {
  std::vector<float> x;
  std::vector<uint8_t> y;
  *users = 0;
  for (const auto& c : cases) {
    if (c.test && !include_test) continue;
    bool any = false;
    for (const auto& r : c.cands) any |= c.relevant.count(r.item) > 0;
    if (!any) continue;
    ++*users;
    for (const auto& r : FitExamples(c, negatives, seed)) {
      x.insert(x.end(), r.features.begin(), r.features.end());
      y.push_back(c.relevant.count(r.item) > 0);
    }
  }
  *examples = y.size();
  *positives = 0;
  for (auto v : y) *positives += v;
  out.Fit(x, y, kNumFeatures, {.iterations = 300, .learning_rate = 0.05, .l2 = 1e-4, .positive_weight = 0});
}

void FitNext(const std::vector<UserCase>& cases, bool include_test, Logistic& out, size_t* examples, size_t* positives) {
  std::vector<float> x;
  std::vector<uint8_t> y;
  for (const auto& c : cases) {
    if (c.test && !include_test) continue;
    for (const auto& n : c.next) {
      x.insert(x.end(), n.features.begin(), n.features.end());
      y.push_back(c.bought_leaves.count(n.leaf) > 0);
    }
  }
  *examples = y.size();
  *positives = static_cast<size_t>(std::count(y.begin(), y.end(), uint8_t{1}));
  out.Fit(x, y, kNumNextFeatures, {.iterations = 300, .learning_rate = 0.05, .l2 = 1e-4, .positive_weight = 1});
}
}  // namespace

Result<RecFitReport> FitRecommender(Workspace& ws, const RecFitOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  KGP_RETURN_IF_ERROR(CheckEngineOptions(opts.engine));
  RecFitReport rep;
  rep.k = opts.k;
  auto in = LoadRecInputs(ws);
  if (!in.ok()) return in.status();
  const Graph& g = *in->profile.graph;
  const ItemIndex& items = *in->profile.items;
  const Catalog* cat = in->catalog.get();
  const std::vector<ProfileEvent>& events = in->events;
  for (const auto& e : events) rep.as_of = std::max(rep.as_of, e.ts);
  rep.cut_ts = rep.as_of - static_cast<int64_t>(opts.holdout_days * 86400);

  std::shared_ptr<const KgeScorer> kge;
  const std::string kge_path = embed::WorkspaceModelPath(ws.dir());
  if (opts.train_kge && std::filesystem::exists(kge_path)) {
    const auto tk = std::chrono::steady_clock::now();
    auto served = embed::LoadCheckpoint(kge_path);
    const std::string model = served.ok() ? served->config.name : "transe";
    auto past = TrainPastKge(g, *cat, rep.cut_ts, model, opts.threads);
    if (!past.ok()) return past.status();
    kge = *past;
    rep.kge_s = SecondsSince(tk);
  }
  Engine past(g, items, *cat, History::Build(events, rep.cut_ts, items, opts.engine.history), kge, opts.engine);
  const std::vector<NodeId> popular_leaves = TopPurchasedLeaves(past, 5);

  // Outcomes in (cut, as_of]: items carted or bought; leaves bought within the window.
  std::unordered_map<uint32_t, UserCase> by_user;
  for (const auto& e : events) {
    if (e.ts <= rep.cut_ts || past.history().Of(e.user).empty()) continue;
    if (e.type != EventType::kCart && e.type != EventType::kPurchase) continue;
    UserCase& c = by_user[e.user];
    c.relevant.insert(e.item);
    if (e.type == EventType::kPurchase && items.Leaf(e.item) != kNoNode) c.bought_leaves.insert(items.Leaf(e.item));
  }
  // Every user with history gets next-purchase examples (most buy nothing in the window).
  std::vector<UserCase> cases;
  for (uint32_t u = 0; u < past.history().num_users(); ++u) {
    if (past.history().Of(u).empty()) continue;
    auto it = by_user.find(u);
    UserCase c = it == by_user.end() ? UserCase{} : std::move(it->second);
    c.user = u;
    c.test = static_cast<double>((HashCombine(opts.seed, u) * 0x9E3779B97F4A7C15ull) >> 11) * 0x1.0p-53 < opts.test_share;
    cases.push_back(std::move(c));
  }
  if (by_user.empty()) {
    const bool outcomes = std::any_of(events.begin(), events.end(), [](const ProfileEvent& e) {
      return e.type == EventType::kCart || e.type == EventType::kPurchase;
    });
    if (!outcomes)
      return Status::NotFound(fmt::format("{}: no carts or purchases in the whole log: --fit learns which items are "
                                          "carted or bought", ws.dir()));
    const bool history = std::any_of(events.begin(), events.end(), [&](const ProfileEvent& e) { return e.ts <= rep.cut_ts; });
    if (!history)
      return Status::NotFound(fmt::format("{}: no events before {} (the last {} days are held out and nothing precedes them); "
                                          "lower --holdout-days", ws.dir(), FormatTimestamp(rep.cut_ts), opts.holdout_days));
    return Status::NotFound(fmt::format("{}: no carts or purchases after {} (the last {} days) by users with earlier events "
                                        "to learn from; raise --holdout-days", ws.dir(), FormatTimestamp(rep.cut_ts),
                                        opts.holdout_days));
  }
  const auto tc = std::chrono::steady_clock::now();
  const bool keep_all = !opts.extra_scores.empty();
  const int threads = std::max(1, opts.threads);
  {
    Progress progress("recommend: candidates", cases.size(), "users");
    // A fitting user's candidates are only fitted on (unless outside scores are weighed on
    // them): only its examples are kept, not every candidate (at 200,000 users they held most
    // of the memory). A test user's come when the ranker is measured (below).
    RunThreads(threads, [&](int t) {
      for (size_t i = static_cast<size_t>(t); i < cases.size(); i += static_cast<size_t>(threads)) {
        UserCase& c = cases[i];
        if (!c.relevant.empty() && !c.test) {
          c.cands = past.Candidates(c.user);
          if (!keep_all) c.cands = FitExamples(c, opts.negatives_per_user, opts.seed);
        }
        c.next = NextPurchaseCandidates(past, c.user, popular_leaves);
        if (t == 0) progress.Set(i + 1);  // one owner (Progress is not thread-safe); about i + 1 done
      }
    });
    progress.Set(cases.size());
    progress.Finish();
  }
  rep.candidates_s = SecondsSince(tc);

  // Ranker: fit on the fitting users, measure on the others.
  Logistic ranker;
  FitRanker(cases, false, opts.negatives_per_user, opts.seed, ranker, &rep.examples, &rep.positives, &rep.fit_users);
  // Next purchase: calibrated on the fitting users, reliability on the others.
  Logistic next;
  size_t next_positives = 0;
  FitNext(cases, false, next, &rep.next_examples, &next_positives);
  // Too few outcomes make weights that are noise (or a constant): refuse, keeping the saved
  // model (or the prior blend) rather than serving them as learned and calibrated.
  if (rep.positives < kMinFitPositives || next_positives < kMinFitPositives)
    return Status::Aborted(fmt::format(
        "{}: too little data to fit: the fitting users ({:.0f} % of those with events before {}) have {} carted or bought "
        "items among their candidates and {} category purchases in the last {} days; --fit needs at least {} of each. "
        "Nothing was saved{}. Ingest more events or raise --holdout-days",
        ws.dir(), 100 * (1 - opts.test_share), FormatTimestamp(rep.cut_ts), rep.positives, next_positives, opts.holdout_days, kMinFitPositives,
        std::filesystem::exists(RecommendModelPath(ws.dir())) ? " (the model fitted before is kept)" : " (the prior blend is served)"));
  Engine::ScoreFn learned = [&](const Recommendation& r) { return ranker.Predict(r.features); };
  Engine::ScoreFn prior = [&](const Recommendation& r) { return past.Score(r.features); };
  std::vector<std::pair<std::string, Engine::ScoreFn>> methods = {{"learned blend", learned}, {"prior blend", prior}};
  for (int f : {kFCoVisit, kFCoPurchase, kFEmbedding, kFCollaborative, kFCategory, kFCohort, kFPopularity}) {
    if (f == kFEmbedding && !kge) continue;
    if (f == kFCollaborative && !past.cf()) continue;
    methods.emplace_back(std::string(FeatureName(f)) + " alone", [f](const Recommendation& r) {
      return r.features[static_cast<size_t>(f)] + 1e-3 * r.features[kFPopularity];  // popularity breaks ties
    });
  }
  // Each test user's candidates, ranked every way; then only its examples are kept (for the
  // refit on everyone), as a fitting user's, unless outside scores are weighed on them. The
  // users' figures are summed in their order afterwards.
  std::vector<size_t> tests;
  for (size_t i = 0; i < cases.size(); ++i)
    if (cases[i].test && !cases[i].relevant.empty()) tests.push_back(i);
  std::vector<TopKMetrics> per_user(tests.size() * (methods.size() + 1));
  std::vector<size_t> found_of(tests.size());
  const auto tm = std::chrono::steady_clock::now();
  Progress measuring("recommend: held-out users", tests.size(), "users");
  RunThreads(threads, [&](int t) {
    for (size_t j = static_cast<size_t>(t); j < tests.size(); j += static_cast<size_t>(threads)) {
      UserCase& c = cases[tests[j]];
      c.cands = past.Candidates(c.user);
      for (const auto& r : c.cands) found_of[j] += c.relevant.count(r.item);
      for (size_t m = 0; m <= methods.size(); ++m) {
        // The last row: the learned blend as served, diversified by category.
        const auto& fn = m < methods.size() ? methods[m].second : learned;
        auto top = past.Rank(c.cands, opts.k, fn, m == methods.size());
        std::vector<uint32_t> ids;
        for (const auto& r : top) ids.push_back(r.item);
        per_user[j * (methods.size() + 1) + m] = ScoreTopK(std::span<const uint32_t>(ids), c.relevant, opts.k);
      }
      if (!keep_all) c.cands = FitExamples(c, opts.negatives_per_user, opts.seed);
      if (t == 0) measuring.Set(j + 1);  // the threads take the users in turn: about j + 1 done
    }
  });
  measuring.Set(tests.size());
  measuring.Finish();
  rep.candidates_s += SecondsSince(tm);
  std::vector<TopKMetrics> sums(methods.size() + 1);
  size_t found = 0, relevant = 0;
  for (size_t j = 0; j < tests.size(); ++j) {
    ++rep.test_users;
    found += found_of[j];
    relevant += cases[tests[j]].relevant.size();
    for (size_t m = 0; m <= methods.size(); ++m) {
      const TopKMetrics& s = per_user[j * (methods.size() + 1) + m];
      sums[m].precision += s.precision, sums[m].recall += s.recall, sums[m].ndcg += s.ndcg, sums[m].hit += s.hit;
    }
  }
  rep.candidate_recall = relevant ? static_cast<double>(found) / static_cast<double>(relevant) : 0;
  for (size_t m = 0; m <= methods.size(); ++m) {
    TopKMetrics avg = sums[m];
    const double n = std::max<size_t>(1, rep.test_users);
    avg.precision /= n, avg.recall /= n, avg.ndcg /= n, avg.hit /= n;
    rep.holdout.push_back({m < methods.size() ? methods[m].first : "learned blend, diversified (served)", avg});
  }

  // Outside scores (ExtraScore): their weight in the blend is chosen on the fitting users.
  for (const ExtraScore& x : opts.extra_scores) {
    std::vector<std::unordered_map<uint32_t, double>> extra(cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      if (cases[i].relevant.empty()) continue;
      auto fn = x.make(past, cases[i].user);
      for (const auto& r : cases[i].cands) extra[i][r.item] = fn(r.item);
    }
    // Scores are looked up per case through this pointer while blended() walks the cases.
    const std::unordered_map<uint32_t, double>* cur = nullptr;
    const auto lookup = [&](uint32_t item) {
      auto it = cur->find(item);
      return it == cur->end() ? 0.0 : it->second;
    };
    const auto blended = [&](bool test, double w) {
      TopKMetrics sum;
      size_t n = 0;
      for (size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        if (c.test != test || c.relevant.empty()) continue;
        cur = &extra[i];
        auto top = past.Rank(c.cands, opts.k, [&](const Recommendation& r) {
          return w < 0 ? lookup(r.item) + 1e-3 * r.features[kFPopularity] : ranker.Predict(r.features) + w * lookup(r.item);
        }, false);
        std::vector<uint32_t> ids;
        for (const auto& r : top) ids.push_back(r.item);
        auto s = ScoreTopK(std::span<const uint32_t>(ids), c.relevant, opts.k);
        sum.precision += s.precision, sum.recall += s.recall, sum.ndcg += s.ndcg, sum.hit += s.hit;
        ++n;
      }
      const double d = std::max<size_t>(1, n);
      sum.precision /= d, sum.recall /= d, sum.ndcg /= d, sum.hit /= d;
      return sum;
    };
    double best_w = 0, best_ndcg = -1;
    for (double w : {0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0}) {
      const double ndcg = blended(false, w).ndcg;
      if (ndcg > best_ndcg + 1e-12) best_ndcg = ndcg, best_w = w;
    }
    rep.holdout.push_back({x.name + " alone", blended(true, -1)});
    rep.holdout.push_back({fmt::format("learned blend + {} (w={})", x.name, best_w), blended(true, best_w)});
  }

  std::vector<float> p, aff;
  std::vector<uint8_t> y;
  for (const auto& c : cases) {
    if (!c.test) continue;
    for (const auto& n : c.next) {
      p.push_back(static_cast<float>(next.Predict(n.features)));
      aff.push_back(n.features[kNAffinity]);
      y.push_back(c.bought_leaves.count(n.leaf) > 0);
    }
  }
  rep.next_reliability = MeasureReliability(p, y);
  rep.next_affinity_auc = MeasureReliability(aff, y).auc;

  // Refit on everyone and save.
  size_t ex = 0, pos = 0, users = 0;
  FitRanker(cases, true, opts.negatives_per_user, opts.seed, ranker, &ex, &pos, &users);
  FitNext(cases, true, next, &ex, &pos);
  rep.ranker_weights = Named(ranker, FeatureName);
  rep.next_weights = Named(next, NextFeatureName);
  rep.total_s = SecondsSince(t0);
  nlohmann::json leaves = nlohmann::json::array();
  for (NodeId n : popular_leaves) leaves.push_back(g.Spec(n));
  nlohmann::json j = {{"version", 1},
                      {"ranker", ranker.ToJson()},
                      {"cf", opts.engine.cf},
                      {"features", [] { std::vector<std::string> v; for (int f = 0; f < kNumFeatures; ++f) v.push_back(FeatureName(f)); return v; }()},
                      {"next_purchase", {{"model", next.ToJson()}, {"window_days", opts.holdout_days}, {"popular_leaves", leaves}}},
                      {"report", rep.ToJson()}};
  const std::string path = RecommendModelPath(ws.dir());
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  OutFile out;  // replaced as a whole: a failed write never leaves half a model
  if (Status s = out.OpenReplacing(path); !s.ok()) return s;
  out.Write(j.dump(2) + "\n");
  if (Status s = out.Close(); !s.ok()) return s;
  return rep;
}

}  // namespace kgp::rec
