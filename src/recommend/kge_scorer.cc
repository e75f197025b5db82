#include "recommend/kge_scorer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "embed/kernels.h"
#include "embed/kge.h"
#include "embed/predict.h"

namespace kgp::rec {

Result<std::unique_ptr<KgeScorer>> KgeScorer::Create(embed::Checkpoint ck, const Catalog& cat, size_t ann_min_items) {
  auto s = std::unique_ptr<KgeScorer>(new KgeScorer());
  s->ck_ = std::move(ck);
  auto model = embed::ModelOf(s->ck_);
  if (!model.ok()) return model.status();
  s->model_ = std::move(*model);
  const auto& rels = s->ck_.relation_names;
  bool found = false;
  for (const char* want : {"PURCHASED", "CARTED", "VIEWED", "RATED", "REVIEWED", "FAVORITED"}) {
    auto it = std::find(rels.begin(), rels.end(), want);
    if (it != rels.end()) {
      s->relation_ = static_cast<uint32_t>(it - rels.begin());
      s->relation_name_ = want;
      found = true;
      break;
    }
  }
  if (!found) return Status::InvalidArgument(
        "embedding model has no user-item relation (PURCHASED, CARTED, VIEWED, RATED, REVIEWED, FAVORITED): train it on a "
        "workspace graph");
  s->model_->PrepareRelation(s->ck_.params, s->relation_, &s->scratch_);
  StringMap<uint32_t> ids;
  for (uint32_t e = 0; e < s->ck_.entity_names.size(); ++e)
    if (!ids.Find(s->ck_.entity_names[e])) ids.Insert(s->ck_.entity_names[e], e);
  s->user_entity_.assign(cat.num_users(), kNone);
  s->item_entity_.assign(cat.num_items(), kNone);
  for (uint32_t u = 0; u < cat.num_users(); ++u)
    if (const uint32_t* e = ids.Find("user:" + cat.UserExt(u))) s->user_entity_[u] = *e;
  for (uint32_t i = 0; i < cat.num_items(); ++i) {
    if (const uint32_t* e = ids.Find("product:" + cat.ItemExt(i))) {
      s->item_entity_[i] = *e;
      s->entity_item_.emplace_back(*e, i);
    }
  }
  std::sort(s->entity_item_.begin(), s->entity_item_.end());
  if (s->entity_item_.size() >= ann_min_items && !s->entity_item_.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<uint32_t> entities;
    entities.reserve(s->entity_item_.size());
    for (const auto& [e, item] : s->entity_item_) entities.push_back(e);
    auto idx = embed::TailIndex::Build(*s->model_, s->ck_.params, s->relation_, s->scratch_, entities);
    if (!idx.ok()) return idx.status();
    s->item_ann_ = std::move(*idx);
    LOG_INF("recommend: item index over {} embedded items ({}) in {:.1f} s", entities.size(), s->relation_name_,
            SecondsSince(t0));
  }
  return s;
}

Result<std::unique_ptr<KgeScorer>> KgeScorer::Load(const std::string& path, const Catalog& cat, size_t ann_min_items) {
  if (!std::filesystem::exists(path)) return std::unique_ptr<KgeScorer>();
  auto ck = embed::LoadCheckpoint(path);
  if (!ck.ok()) return ck.status();
  auto s = Create(std::move(*ck), cat, ann_min_items);
  if (!s.ok()) return s.status();
  (*s)->ann_ = embed::LoadCurrentIndex(path, (*s)->ck_.params);
  return s;
}

std::vector<float> KgeScorer::QueryOf(uint32_t user) const {
  std::vector<float> q(model_->query_width());
  model_->TailQuery(ck_.params, user_entity_[user], relation_, scratch_, q.data());
  return q;
}

float KgeScorer::RowScore(const std::vector<float>& q, uint32_t item) const {
  if (item >= item_entity_.size() || item_entity_[item] == kNone) return -std::numeric_limits<float>::infinity();
  const size_t w = q.size();
  float out = 0;
  embed::kernels::ScoreBlock(static_cast<int>(model_->form()), model_->config().gamma, q.data(), 1,
                             model_->CandidateRows(ck_.params, scratch_) + size_t{item_entity_[item]} * w, 1, w, &out);
  return out;
}

// Scores only the item rows (a shop has far more users than products, and the entity table
// holds both): one query against each item's candidate row.
void KgeScorer::ScoreItems(uint32_t user, std::vector<float>& out) const {
  out.assign(item_entity_.size(), -std::numeric_limits<float>::infinity());
  if (!Knows(user)) return;
  const std::vector<float> q = QueryOf(user);
  for (uint32_t i = 0; i < item_entity_.size(); ++i) out[i] = RowScore(q, i);
}

void KgeScorer::ScoreSome(uint32_t user, std::span<const uint32_t> items, std::vector<float>& out) const {
  out.assign(items.size(), -std::numeric_limits<float>::infinity());
  if (!Knows(user)) return;
  const std::vector<float> q = QueryOf(user);
  for (size_t j = 0; j < items.size(); ++j) out[j] = RowScore(q, items[j]);
}

std::vector<Neighbor> KgeScorer::TopItems(uint32_t user, size_t k) const {
  std::vector<Neighbor> out;
  if (!Knows(user) || k == 0) return out;
  if (item_ann_) {
    for (const auto& s : item_ann_->Top(ck_.params, user_entity_[user], k)) {
      auto it = std::lower_bound(entity_item_.begin(), entity_item_.end(), std::make_pair(s.id, 0u));
      if (it != entity_item_.end() && it->first == s.id) out.push_back({it->second, s.score});
    }
    return out;
  }
  std::vector<float> all;
  ScoreItems(user, all);
  return Best(all, k);
}

std::vector<Neighbor> KgeScorer::Best(const std::vector<float>& scores, size_t k) {
  std::vector<Neighbor> out;
  for (const auto& s : embed::TopK(scores, k))
    if (std::isfinite(s.score)) out.push_back({s.id, s.score});
  return out;
}

std::pair<double, double> KgeScorer::Stats(const std::vector<float>& scores) {
  double s1 = 0, s2 = 0, n = 0;
  for (float s : scores)
    if (std::isfinite(s)) s1 += s, s2 += double(s) * s, ++n;
  if (n < 2) return {0.0, 1.0};
  const double mean = s1 / n;
  return {mean, std::max(1e-6, std::sqrt(std::max(0.0, s2 / n - mean * mean)))};
}

std::pair<double, double> KgeScorer::ScoreStats(uint32_t user) const {
  std::vector<float> scores;
  if (item_ann_) {
    const size_t step = std::max<size_t>(1, entity_item_.size() / 1024);
    std::vector<uint32_t> sample;
    for (size_t j = 0; j < entity_item_.size(); j += step) sample.push_back(entity_item_[j].second);
    ScoreSome(user, sample, scores);
  } else {
    ScoreItems(user, scores);
  }
  return Stats(scores);
}

std::vector<Neighbor> KgeScorer::SimilarItems(uint32_t item, size_t k) const {
  std::vector<Neighbor> out;
  if (item >= item_entity_.size() || item_entity_[item] == kNone) return out;
  // Most neighbours of a product are products; ask for more and keep those.
  const size_t ask = k * 4 + 16;
  auto near = ann_ ? ann_->Nearest(ck_.params, item_entity_[item], ask)
                   : embed::NearestEntities(ck_.params, item_entity_[item], ask);
  for (const auto& s : near) {
    auto it = std::lower_bound(entity_item_.begin(), entity_item_.end(), std::make_pair(s.id, 0u));
    if (it == entity_item_.end() || it->first != s.id) continue;
    out.push_back({it->second, s.score});
    if (out.size() == k) break;
  }
  return out;
}

}  // namespace kgp::rec
