#include "recommend/engine.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "embed/predict.h"
#include "recommend/algo/factory.h"

namespace kgp::rec {

const char* FeatureName(int f) {
  static const char* names[kNumFeatures] = {"covisit", "copurchase", "embedding", "popularity",
                                            "category_affinity", "brand_affinity", "price_fit", "touched",
                                            "purchased", "repurchase_due", "cohort", "collaborative"};
  return f >= 0 && f < kNumFeatures ? names[f] : "?";
}

namespace {
uint64_t CohortKey(const Graph& g, NodeId user) {
  if (user == UINT32_MAX) return 0;
  uint64_t gender = 0, age = 0;
  for (const Adjacent& a : g.Neighbors(user)) {
    if (!a.outgoing) continue;
    if (a.type == edge::kHasGender) gender = a.other + 1ull;
    if (a.type == edge::kHasAgeGroup) age = a.other + 1ull;
  }
  return gender << 32 | age;
}

bool CfOff(const EngineOptions& o) { return o.cf.empty() || o.cf == "none"; }

Result<std::unique_ptr<Recommender>> MakeCf(const EngineOptions& o) {
  auto spec = ParseModelSpec(o.cf);
  if (!spec.ok()) return Status::InvalidArgument("--cf " + o.cf + ": " + spec.status().message());
  auto m = MakeRecommender(*spec);
  if (!m.ok()) return Status::InvalidArgument("--cf " + o.cf + ": " + m.status().message());
  return m;
}

// The history as user × item sets (every behaviour counts once per pair).
InteractionMatrix InteractionsOf(const History& h) {
  std::vector<UserItem> pairs;
  for (uint32_t u = 0; u < h.num_users(); ++u)
    for (const ProfileEvent& e : h.Of(u)) pairs.push_back({u, e.item, 1.0f, e.ts});
  return InteractionMatrix::FromPairs(std::move(pairs), static_cast<uint32_t>(h.num_users()),
                                      static_cast<uint32_t>(h.num_items()), true)
      .Dedup();
}
}  // namespace

Status CheckEngineOptions(const EngineOptions& opts) {
  if (CfOff(opts)) return Status::Ok();
  auto m = MakeCf(opts);
  return m.ok() ? Status::Ok() : m.status();
}

Engine::Engine(const Graph& g, const ItemIndex& items, const Catalog& cat, History history,
               std::shared_ptr<const KgeScorer> kge, const EngineOptions& opts)
    : g_(g), items_(items), cat_(cat), history_(std::move(history)), kge_(std::move(kge)), opts_(opts) {
  CoVisitOptions co = opts_.covisit;
  if (opts_.scope) {
    co.rows_for = opts_.scope->items;
    for (uint32_t user : opts_.scope->users)
      for (uint32_t item : RecentItems(user)) co.rows_for->push_back(item);
  }
  covisit_ = CoVisitIndex::Build(history_, co);
  if (!CfOff(opts_) && history_.num_items() > 0) {
    // CheckEngineOptions has vetted the spec; a model that cannot fit leaves the feature at 0.
    auto m = MakeCf(opts_);
    Status fitted = m.ok() ? (*m)->Fit(InteractionsOf(history_), FitOptions{.threads = 2, .quiet = true}) : m.status();
    if (fitted.ok()) {
      cf_ = std::move(*m);
    } else {
      LOG_WRN("recommend: collaborative model '{}' not used: {}", opts_.cf, fitted.message());
    }
  }
  std::unordered_map<NodeId, std::vector<uint32_t>> by_leaf;
  std::unordered_map<NodeId, double> share;
  double total = 0;
  for (uint32_t item : history_.PopularItems()) {
    const NodeId leaf = items_.Leaf(item);
    if (leaf == kNoNode) continue;
    share[leaf] += history_.Popularity(item);
    total += history_.Popularity(item);
    auto& v = by_leaf[leaf];
    if (v.size() < opts_.per_source) v.push_back(item);
  }
  leaf_popular_.assign(by_leaf.begin(), by_leaf.end());
  std::sort(leaf_popular_.begin(), leaf_popular_.end());
  for (const auto& [leaf, w] : share) leaf_share_.emplace_back(leaf, total > 0 ? static_cast<float>(w / total) : 0.0f);
  std::sort(leaf_share_.begin(), leaf_share_.end());

  // Cohorts: id 0 is "unknown demographics"; popularity per cohort over its users' events.
  std::unordered_map<uint64_t, uint32_t> ids{{0, 0}};
  std::vector<std::unordered_map<uint32_t, float>> pop(1);
  for (uint32_t u = 0; u < history_.num_users(); ++u) {
    auto ev = history_.Of(u);
    if (ev.empty()) continue;
    const uint64_t key = CohortKey(g_, cat_.UserNode(u));
    auto [it, fresh] = ids.try_emplace(key, static_cast<uint32_t>(pop.size()));
    if (fresh) pop.emplace_back();
    auto& m = pop[it->second];
    for (const auto& e : ev) m[e.item] += static_cast<float>(DecayedWeight(e, history_.as_of(), opts_.history.popularity_half_life_days));
  }
  cohort_ids_.assign(ids.begin(), ids.end());
  std::sort(cohort_ids_.begin(), cohort_ids_.end());
  cohort_popular_.resize(pop.size());
  for (size_t c = 0; c < pop.size(); ++c) {
    auto& v = cohort_popular_[c];
    v.assign(pop[c].begin(), pop[c].end());
    const size_t keep = std::min(v.size(), opts_.per_source);
    std::partial_sort(v.begin(), v.begin() + static_cast<ptrdiff_t>(keep), v.end(),
                      [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    v.resize(keep);
  }
}

uint32_t Engine::CohortOf(uint32_t user) const {
  const uint64_t key = CohortKey(g_, cat_.UserNode(user));
  auto it = std::lower_bound(cohort_ids_.begin(), cohort_ids_.end(), std::make_pair(key, 0u));
  return it != cohort_ids_.end() && it->first == key ? it->second : 0;
}

std::vector<Neighbor> Engine::CoPurchased(uint32_t item, size_t k) const {
  std::vector<Neighbor> out;
  const NodeId n = cat_.ItemNode(item);
  if (n == UINT32_MAX) return out;
  for (const Adjacent& a : g_.Neighbors(n)) {
    if (a.type != edge::kCoPurchasedWith) continue;
    if (auto other = cat_.ItemOfNode(a.other)) out.push_back({*other, g_.edge(a.edge).weight});
  }
  std::sort(out.begin(), out.end(), [](const Neighbor& a, const Neighbor& b) { return a.score != b.score ? a.score > b.score : a.item < b.item; });
  if (out.size() > k) out.resize(k);
  return out;
}

const std::vector<uint32_t>& Engine::PopularIn(NodeId leaf) const {
  static const std::vector<uint32_t> kEmpty;
  auto it = std::lower_bound(leaf_popular_.begin(), leaf_popular_.end(), leaf,
                             [](const auto& a, NodeId l) { return a.first < l; });
  return it != leaf_popular_.end() && it->first == leaf ? it->second : kEmpty;
}

float Engine::LeafShare(NodeId leaf) const {
  auto it = std::lower_bound(leaf_share_.begin(), leaf_share_.end(), leaf,
                             [](const auto& a, NodeId l) { return a.first < l; });
  return it != leaf_share_.end() && it->first == leaf ? it->second : 0.0f;
}

std::span<const ProfileEvent> Engine::EventsOf(uint32_t user, std::span<const ProfileEvent> since,
                                               std::vector<ProfileEvent>& buf) const {
  const auto past = history_.Of(user);
  const auto known = [&](const ProfileEvent& e) { return e.item < history_.num_items(); };
  if (std::none_of(since.begin(), since.end(), known)) return past;
  std::vector<ProfileEvent> added;
  std::copy_if(since.begin(), since.end(), std::back_inserter(added), known);
  // In time order (a late event among the history's: RecentItems reads the latest last); the
  // history's first on equal times.
  buf.clear();
  std::merge(past.begin(), past.end(), added.begin(), added.end(), std::back_inserter(buf),
             [](const ProfileEvent& a, const ProfileEvent& b) { return a.ts < b.ts; });
  return buf;
}

int64_t Engine::NowFor(std::span<const ProfileEvent> since) const {
  int64_t now = history_.as_of();
  for (const ProfileEvent& e : since) now = std::max(now, e.ts);
  return now;
}

std::vector<uint32_t> Engine::RecentItems(uint32_t user, std::span<const ProfileEvent> since) const {
  std::vector<ProfileEvent> buf;
  return LatestItems(EventsOf(user, since, buf));
}

std::vector<uint32_t> Engine::LatestItems(std::span<const ProfileEvent> ev) const {
  std::vector<uint32_t> recent;
  std::unordered_set<uint32_t> seen;
  for (size_t i = ev.size(); i-- > 0 && recent.size() < opts_.recent_items;)
    if (seen.insert(ev[i].item).second) recent.push_back(ev[i].item);
  return recent;
}

std::span<const Neighbor> Engine::CoVisited(uint32_t item) const {
  if (!covisit_.Built(item))
    throw std::logic_error(fmt::format("recommend: the engine was built for other users and items (its scope) than item {}", item));
  return covisit_.Of(item);
}

std::vector<Recommendation> Engine::Candidates(uint32_t user, std::span<const ProfileEvent> since) const {
  std::vector<ProfileEvent> buf;
  const auto events = EventsOf(user, since, buf);
  const int64_t now = NowFor(since);
  const UserTaste taste = TasteOf(events, now, items_, history_.options().affinity_half_life_days);
  std::unordered_map<uint32_t, Recommendation> cands;
  auto add = [&](uint32_t item, int f, float v) {
    auto [it, fresh] = cands.try_emplace(item);
    if (fresh) it->second.item = item, it->second.features.fill(0);
    it->second.features[static_cast<size_t>(f)] += v;
    it->second.sources |= static_cast<uint16_t>(1u << f);
  };
  // The latest distinct items seed the item-to-item generators, weighted by the user's decayed touch.
  std::vector<std::pair<uint32_t, float>> recent;
  float max_w = 0;
  for (uint32_t item : LatestItems(events)) {
    const auto* t = taste.Item(item);
    recent.emplace_back(item, t ? t->weight : 0.0f);
    max_w = std::max(max_w, t ? t->weight : 0.0f);
  }
  for (auto& [item, w] : recent) w = max_w > 0 ? w / max_w : 0;
  for (const auto& [item, w] : recent) {
    auto row = CoVisited(item);
    for (size_t j = 0; j < row.size() && j < opts_.per_source; ++j) add(row[j].item, kFCoVisit, w * row[j].score / row[0].score);
    auto cp = CoPurchased(item, opts_.per_source);
    for (const auto& n : cp) add(n.item, kFCoPurchase, w * n.score / cp[0].score);
  }
  // Embedding scores: every item for small catalogues; the item index's best rows, and exact
  // scores for the other candidates, for large ones (KgeScorer::HasItemIndex).
  std::vector<float> kge_scores;
  double kge_mean = 0, kge_sd = 1;
  const bool kge_user = kge_ && kge_->Knows(user);
  std::vector<Neighbor> kge_top;
  if (kge_user) {
    if (kge_->HasItemIndex()) {
      std::tie(kge_mean, kge_sd) = kge_->ScoreStats(user);
      kge_top = kge_->TopItems(user, opts_.per_source);
    } else {
      kge_->ScoreItems(user, kge_scores);
      std::tie(kge_mean, kge_sd) = KgeScorer::Stats(kge_scores);
      kge_top = KgeScorer::Best(kge_scores, opts_.per_source);
    }
    for (const auto& n : kge_top) add(n.item, kFEmbedding, 0);
  }
  // Collaborative scores over every item from the user's item set; the best are candidates and
  // every candidate's feature is its score over the best score (0..1).
  std::vector<float> cf_scores;
  float cf_max = 0;
  if (cf_ && !events.empty()) {
    std::vector<uint32_t> items_of;
    std::unordered_set<uint32_t> once;
    for (const auto& e : events)
      if (once.insert(e.item).second) items_of.push_back(e.item);
    cf_scores.assign(history_.num_items(), 0.0f);
    cf_->Score(user, items_of, cf_scores);
    const auto best = embed::TopK(cf_scores, opts_.per_source);  // best first
    if (!best.empty()) cf_max = std::max(0.0f, best.front().score);
    for (const auto& s : best)
      if (s.score > 0) add(s.id, kFCollaborative, 0);
  }
  const auto& popular = history_.PopularItems();
  for (size_t j = 0; j < popular.size() && j < opts_.per_source; ++j) add(popular[j], kFPopularity, 0);
  auto cats = taste.categories;
  std::sort(cats.begin(), cats.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (size_t c = 0; c < cats.size() && c < 3; ++c) {
    const auto& top = PopularIn(cats[c].first);
    for (size_t j = 0; j < top.size() && j < opts_.per_source / 3; ++j) add(top[j], kFCategory, 0);
  }
  for (const auto& t : taste.items) {
    const CategoryCycle* cyc = t.owned_ts ? history_.Cycle(items_.Leaf(t.item)) : nullptr;
    if (cyc && cyc->restocked) add(t.item, kFRepurchaseDue, 0);
  }
  const auto& cohort = cohort_popular_[CohortOf(user)];
  std::unordered_map<uint32_t, float> cohort_w;
  for (const auto& [item, w] : cohort) cohort_w[item] = cohort.front().second > 0 ? w / cohort.front().second : 0;
  for (const auto& [item, w] : cohort) add(item, kFCohort, 0);

  // With the item index, only the candidates get an embedding score (the user's query built once).
  std::unordered_map<uint32_t, float> kge_some;
  if (kge_user && kge_->HasItemIndex()) {
    std::vector<uint32_t> ids;
    ids.reserve(cands.size());
    for (const auto& [item, r] : cands) ids.push_back(item);
    std::vector<float> some;
    kge_->ScoreSome(user, ids, some);
    for (size_t j = 0; j < ids.size(); ++j) kge_some[ids[j]] = some[j];
  }
  // Features every candidate gets, whichever generator proposed it.
  const double log_max_pop = std::log1p(history_.MaxPopularity());
  std::vector<Recommendation> out;
  out.reserve(cands.size());
  for (auto& [item, r] : cands) {
    auto& f = r.features;
    float ks = NAN;
    if (item < kge_scores.size()) ks = kge_scores[item];
    else if (auto it = kge_some.find(item); it != kge_some.end()) ks = it->second;
    if (std::isfinite(ks)) f[kFEmbedding] = static_cast<float>(std::clamp((ks - kge_mean) / kge_sd, -3.0, 5.0));
    f[kFPopularity] = log_max_pop > 0 ? static_cast<float>(std::log1p(history_.Popularity(item)) / log_max_pop) : 0;
    const NodeId leaf = items_.Leaf(item);
    f[kFCategory] = leaf == kNoNode ? 0 : taste.Category(leaf);
    float brand = 0;
    for (NodeId tag : items_.Tags(item))
      if (g_.type(tag) == NodeType::kBrand) brand = std::max(brand, taste.Brand(tag));
    f[kFBrand] = brand;
    const float pos = items_.PricePos(item);
    f[kFPriceFit] = taste.price_position < 0 || pos < 0 ? 0.5f : static_cast<float>(1 - std::abs(pos - taste.price_position));
    const auto* t = taste.Item(item);
    f[kFTouched] = t ? std::log1p(t->weight) : 0;
    f[kFPurchased] = t && t->owned_ts ? 1 : 0;
    f[kFRepurchaseDue] = 0;
    if (t && t->owned_ts) {
      const CategoryCycle* cyc = history_.Cycle(leaf);
      if (cyc && cyc->restocked && cyc->median_days > 0) {
        const double days = static_cast<double>(now - t->owned_ts) / 86400.0;
        f[kFRepurchaseDue] = static_cast<float>(std::min(days / cyc->median_days, 1.5) / 1.5);
      }
    }
    auto cw = cohort_w.find(item);
    f[kFCohort] = cw == cohort_w.end() ? 0 : cw->second;
    f[kFCollaborative] = item < cf_scores.size() && cf_max > 0 ? std::max(0.0f, cf_scores[item]) / cf_max : 0;
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
  return out;
}

double Engine::Score(const std::array<float, kNumFeatures>& f) const {
  if (ranker_.fitted()) return ranker_.Predict(f);
  // Before `recommend --fit`: a fixed prior that favours the user's own categories and
  // session neighbours (docs/recommend.md).
  static const float prior[kNumFeatures] = {1.0f, 0.5f, 0.2f, 0.5f, 2.0f, 1.0f, 0.3f, 0.3f, -1.0f, 1.0f, 0.3f, 1.0f};
  double s = 0;
  for (int i = 0; i < kNumFeatures; ++i) s += prior[i] * f[static_cast<size_t>(i)];
  return 1 / (1 + std::exp(-s));
}

std::vector<Recommendation> Engine::Recommend(uint32_t user, size_t k, std::span<const ProfileEvent> since) const {
  return Rank(Candidates(user, since), k, [this](const Recommendation& r) { return Score(r.features); }, true);
}

std::vector<Recommendation> Engine::Rank(std::vector<Recommendation> cands, size_t k, const ScoreFn& score,
                                         bool diversify) const {
  std::vector<Recommendation> kept;
  for (auto& r : cands) {
    const bool purchased = r.features[kFPurchased] > 0;
    const bool due = r.features[kFRepurchaseDue] >= 0.5f;  // at least 3/4 of the usual cycle
    if (opts_.exclude_purchased && purchased && !due) continue;
    if (opts_.exclude_seen && r.features[kFTouched] > 0 && !due) continue;
    r.score = static_cast<float>(score(r));
    kept.push_back(r);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.score != b.score ? a.score > b.score : a.item < b.item; });
  if (!diversify) {
    if (kept.size() > k) kept.resize(k);
    return kept;
  }
  // At most `cap` items per leaf category, then fill from the rest in score order.
  const size_t cap = opts_.max_per_category ? opts_.max_per_category : std::max<size_t>(3, k / 2);
  std::vector<Recommendation> out;
  std::vector<uint8_t> taken(kept.size(), 0);
  std::unordered_map<NodeId, size_t> per_leaf;
  for (size_t i = 0; i < kept.size() && out.size() < k; ++i) {
    const NodeId leaf = items_.Leaf(kept[i].item);
    if (leaf != kNoNode && per_leaf[leaf] >= cap) continue;
    ++per_leaf[leaf];
    out.push_back(kept[i]);
    taken[i] = 1;
  }
  for (size_t i = 0; i < kept.size() && out.size() < k; ++i)
    if (!taken[i]) out.push_back(kept[i]);
  return out;
}

}  // namespace kgp::rec
