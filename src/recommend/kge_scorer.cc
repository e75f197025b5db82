#include "recommend/kge_scorer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "embed/kge.h"
#include "embed/predict.h"

namespace kgp::rec {

Result<std::unique_ptr<KgeScorer>> KgeScorer::Create(embed::Checkpoint ck, const Catalog& cat) {
  auto s = std::unique_ptr<KgeScorer>(new KgeScorer());
  s->ck_ = std::move(ck);
  auto model = embed::ModelOf(s->ck_);
  if (!model.ok()) return model.status();
  s->model_ = std::move(*model);
  const auto& rels = s->ck_.relation_names;
  bool found = false;
  for (const char* want : {"PURCHASED", "CARTED", "VIEWED"}) {
    auto it = std::find(rels.begin(), rels.end(), want);
    if (it != rels.end()) {
      s->relation_ = static_cast<uint32_t>(it - rels.begin());
      s->relation_name_ = want;
      found = true;
      break;
    }
  }
  if (!found) return Status::InvalidArgument("embedding model has no PURCHASED, CARTED or VIEWED relation: train it on a workspace graph");
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
  return s;
}

Result<std::unique_ptr<KgeScorer>> KgeScorer::Load(const std::string& path, const Catalog& cat) {
  if (!std::filesystem::exists(path)) return std::unique_ptr<KgeScorer>();
  auto ck = embed::LoadCheckpoint(path);
  if (!ck.ok()) return ck.status();
  auto s = Create(std::move(*ck), cat);
  if (!s.ok()) return s.status();
  const std::string index = embed::IndexPathFor(path);
  if (std::filesystem::exists(index)) {
    auto ann = embed::NeighborIndex::Load(index, (*s)->ck_.params);
    if (!ann.ok()) return ann.status();
    (*s)->ann_ = std::move(*ann);
  }
  return s;
}

void KgeScorer::ScoreItems(uint32_t user, std::vector<float>& out) const {
  out.assign(item_entity_.size(), -std::numeric_limits<float>::infinity());
  if (!Knows(user)) return;
  std::vector<float> all(ck_.params.num_entities);
  model_->ScoreTails(ck_.params, user_entity_[user], relation_, scratch_, all.data());
  for (size_t i = 0; i < item_entity_.size(); ++i)
    if (item_entity_[i] != kNone) out[i] = all[item_entity_[i]];
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
