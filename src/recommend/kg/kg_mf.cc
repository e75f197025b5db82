#include "recommend/kg/kg_mf.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/rng.h"
#include "common/strings.h"

namespace kgp::rec {

KgMfOptions KgMfOptionsFrom(const Params& p) {
  KgMfOptions o;
  o.dim = static_cast<int>(p.Int("dim", o.dim));
  o.epochs = static_cast<int>(p.Int("epochs", o.epochs));
  o.lr = static_cast<float>(p.Double("lr", o.lr));
  o.l2 = static_cast<float>(p.Double("l2", o.l2));
  o.init = static_cast<float>(p.Double("init", o.init));
  o.neighbours = static_cast<int>(p.Int("neighbours", o.neighbours));
  if (o.dim < 1) throw Error(Status::InvalidArgument("dim must be >= 1"));
  return o;
}

void KgMf::ItemVector(uint32_t i, float* v) const {
  const size_t d = static_cast<size_t>(o_.dim);
  const float* q = &item_[i * d];
  for (size_t k = 0; k < d; ++k) v[k] = q[k];
  uint64_t nn = nb_off_[i + 1] - nb_off_[i];
  if (nn == 0) return;
  float inv = 1.0f / static_cast<float>(nn);
  for (uint64_t e = nb_off_[i]; e < nb_off_[i + 1]; ++e) {
    const float* x = &entity_[nb_[e] * d];
    for (size_t k = 0; k < d; ++k) v[k] += inv * x[k];
  }
}

Status KgMf::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  num_users_ = train.num_users();
  num_items_ = train.num_items();
  const size_t d = static_cast<size_t>(o_.dim);
  const uint32_t n = num_items_;
  // KG neighbours of every item, both directions.
  std::vector<std::vector<uint32_t>> nb(n);
  uint32_t num_entities = n;
  if (opts.side && !opts.side->empty()) {
    for (const KgTriple& t : opts.side->triples) {
      if (t.head < n) nb[t.head].push_back(t.tail);
      if (t.tail < n) nb[t.tail].push_back(t.head);
      num_entities = std::max({num_entities, t.head + 1, t.tail + 1});
    }
  }
  nb_off_.assign(n + 1, 0);
  nb_.clear();
  for (uint32_t i = 0; i < n; ++i) {
    auto& v = nb[i];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    if (v.size() > static_cast<size_t>(o_.neighbours)) v.resize(static_cast<size_t>(o_.neighbours));
    nb_.insert(nb_.end(), v.begin(), v.end());
    nb_off_[i + 1] = nb_.size();
  }
  Rng rng(opts.seed);
  auto init = [&](std::vector<float>& w, size_t rows) {
    w.resize(rows * d);
    for (float& x : w) x = o_.init * (2 * rng.Unit() - 1);
  };
  init(user_, num_users_);
  init(item_, n);
  init(entity_, num_entities);
  item_bias_.assign(n, 0);
  bias_ = 0;

  std::vector<std::pair<uint32_t, uint32_t>> pos;
  for (uint32_t u = 0; u < num_users_; ++u) {
    for (uint32_t i : train.Items(u)) pos.push_back({u, i});
  }
  std::vector<char> mark(n, 0);
  std::vector<float> v(d), gv(d);
  const float lr = o_.lr, l2 = o_.l2;
  auto step = [&](uint32_t u, uint32_t i, float y) {
    ItemVector(i, v.data());
    float* p = &user_[u * d];
    float s = bias_ + item_bias_[i];
    for (size_t k = 0; k < d; ++k) s += p[k] * v[k];
    float g = 1.0f / (1.0f + std::exp(-s)) - y;  // d loss / d logit
    bias_ -= lr * g;
    item_bias_[i] -= lr * (g + l2 * item_bias_[i]);
    for (size_t k = 0; k < d; ++k) gv[k] = g * p[k];
    for (size_t k = 0; k < d; ++k) p[k] -= lr * (g * v[k] + l2 * p[k]);
    float* q = &item_[i * d];
    for (size_t k = 0; k < d; ++k) q[k] -= lr * (gv[k] + l2 * q[k]);
    uint64_t nn = nb_off_[i + 1] - nb_off_[i];
    if (nn == 0) return;
    float inv = 1.0f / static_cast<float>(nn);
    for (uint64_t e = nb_off_[i]; e < nb_off_[i + 1]; ++e) {
      float* x = &entity_[nb_[e] * d];
      for (size_t k = 0; k < d; ++k) x[k] -= lr * (inv * gv[k] + l2 * x[k]);
    }
  };
  for (int ep = 0; ep < o_.epochs; ++ep) {
    for (size_t k = pos.size(); k > 1; --k) std::swap(pos[k - 1], pos[rng.Below(static_cast<uint64_t>(k))]);
    for (auto [u, i] : pos) {
      step(u, i, 1.0f);
      auto row = train.Items(u);
      if (row.size() >= n) continue;
      for (uint32_t x : row) mark[x] = 1;
      uint32_t j;
      do j = rng.Below(n); while (mark[j]);
      for (uint32_t x : row) mark[x] = 0;
      step(u, j, 0.0f);
    }
  }
  return Status::Ok();
}

void KgMf::Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const {
  const size_t d = static_cast<size_t>(o_.dim);
  std::vector<float> p(d, 0.0f), v(d);
  if (user < num_users_) {
    std::copy(&user_[user * d], &user_[user * d] + d, p.begin());
  } else if (!history.empty()) {  // unseen user: the mean of the history's item vectors
    for (uint32_t i : history) {
      if (i >= num_items_) continue;
      ItemVector(i, v.data());
      for (size_t k = 0; k < d; ++k) p[k] += v[k] / static_cast<float>(history.size());
    }
  }
  for (uint32_t i = 0; i < num_items_ && i < out.size(); ++i) {
    ItemVector(i, v.data());
    float s = bias_ + item_bias_[i];
    for (size_t k = 0; k < d; ++k) s += p[k] * v[k];
    out[i] = s;
  }
  for (size_t i = num_items_; i < out.size(); ++i) out[i] = bias_;
}

}  // namespace kgp::rec
