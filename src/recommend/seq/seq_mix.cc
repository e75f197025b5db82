#include "recommend/seq/seq_mix.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::rec {

SeqMixOptions SeqMixOptionsFrom(const Params& p) {
  SeqMixOptions o;
  o.window = static_cast<int>(p.Int("window", o.window));
  o.decay = static_cast<float>(p.Double("decay", o.decay));
  o.backward = static_cast<float>(p.Double("backward", o.backward));
  o.recency = static_cast<float>(p.Double("recency", o.recency));
  o.two_hop = static_cast<float>(p.Double("two_hop", o.two_hop));
  o.attr = static_cast<float>(p.Double("attr", o.attr));
  o.attr_pop = static_cast<float>(p.Double("attr_pop", o.attr_pop));
  o.pop = static_cast<float>(p.Double("pop", o.pop));
  o.max_history = static_cast<int>(p.Int("max_history", o.max_history));
  if (o.window < 1) throw Error(Status::InvalidArgument("window must be >= 1"));
  return o;
}

Status SeqMix::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  num_items_ = train.num_items();
  const uint32_t n = num_items_;
  std::vector<float> count(n, 0);
  double total = 0;
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    for (uint32_t i : train.Items(u)) count[i] += 1, total += 1;
  }
  prior_.resize(n);
  for (uint32_t i = 0; i < n; ++i) prior_[i] = static_cast<float>((count[i] + 1) / (total + n));

  // Transition counts within the window, then normalised per source item.
  std::vector<std::unordered_map<uint32_t, float>> co(n);
  std::vector<float> gap_w(static_cast<size_t>(o_.window) + 1);
  for (int g = 1; g <= o_.window; ++g) gap_w[static_cast<size_t>(g)] = std::pow(o_.decay, static_cast<float>(g - 1));
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    auto row = train.Items(u);
    for (size_t p = 0; p < row.size(); ++p) {
      size_t end = std::min(row.size(), p + 1 + static_cast<size_t>(o_.window));
      for (size_t q = p + 1; q < end; ++q) {
        if (row[p] == row[q]) continue;
        float w = gap_w[q - p];
        co[row[p]][row[q]] += w;
        if (o_.backward > 0) co[row[q]][row[p]] += o_.backward * w;
      }
    }
  }
  nb_off_.assign(n + 1, 0);
  nb_item_.clear();
  nb_p_.clear();
  std::vector<std::pair<uint32_t, float>> tmp;
  for (uint32_t i = 0; i < n; ++i) {
    tmp.assign(co[i].begin(), co[i].end());
    std::sort(tmp.begin(), tmp.end());
    double z = 1;  // one pseudo-count: rare sources give weaker evidence
    for (auto& e : tmp) z += e.second;
    for (auto& e : tmp) {
      nb_item_.push_back(e.first);
      nb_p_.push_back(static_cast<float>(e.second / z));
    }
    nb_off_[i + 1] = nb_item_.size();
    std::unordered_map<uint32_t, float>().swap(co[i]);
  }

  // Attributes: tails (non-item entities) of the items' KG triples.
  at_off_.assign(n + 1, 0);
  at_id_.clear();
  num_attrs_ = 0;
  const SideInfo* side = opts.side;
  if (side && !side->empty() && o_.attr > 0) {
    std::vector<std::vector<uint32_t>> attrs(n);
    for (const KgTriple& t : side->triples) {
      if (t.head < n && t.tail >= n) attrs[t.head].push_back(t.tail - n);
      else if (t.tail < n && t.head >= n) attrs[t.tail].push_back(t.head - n);
    }
    for (uint32_t i = 0; i < n; ++i) {
      auto& a = attrs[i];
      std::sort(a.begin(), a.end());
      a.erase(std::unique(a.begin(), a.end()), a.end());
      for (uint32_t x : a) at_id_.push_back(x), num_attrs_ = std::max(num_attrs_, x + 1);
      at_off_[i + 1] = at_id_.size();
    }
  }
  attr_item_.resize(n);
  for (uint32_t i = 0; i < n; ++i) attr_item_[i] = std::pow(count[i] + 1, o_.attr_pop);
  std::vector<double> z(num_attrs_, 0);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint64_t k = at_off_[i]; k < at_off_[i + 1]; ++k) z[at_id_[k]] += attr_item_[i];
  }
  attr_norm_.assign(num_attrs_, 0);
  for (uint32_t a = 0; a < num_attrs_; ++a) attr_norm_[a] = z[a] > 0 ? static_cast<float>(1 / z[a]) : 0;
  return Status::Ok();
}

void SeqMix::Parts(std::span<const uint32_t> history, bool two_hop, SeqMixParts* P) const {
  const uint32_t n = num_items_;
  for (int s = 0; s < 2; ++s) {
    P->t[s].assign(n, 0.0f);
    P->h[s].assign(two_hop ? n : 0, 0.0f);
    P->a[s].assign(n, 0.0f);
  }
  P->last_weight = P->rest_weight = 0;
  std::vector<float> attr[2] = {std::vector<float>(num_attrs_, 0.0f), std::vector<float>(num_attrs_, 0.0f)};
  float w = 1;
  int seen = 0;
  for (size_t k = history.size(); k-- > 0 && seen < o_.max_history && w >= 1e-3f; ++seen, w *= o_.recency) {
    uint32_t h = history[k];
    if (h >= n) continue;
    const int s = k + 1 == history.size() ? 0 : 1;
    (s == 0 ? P->last_weight : P->rest_weight) += w;
    std::vector<float>& T = P->t[s];
    std::vector<float>& H = P->h[s];
    for (uint64_t e = nb_off_[h]; e < nb_off_[h + 1]; ++e) {
      uint32_t m = nb_item_[e];
      float p = w * nb_p_[e];
      T[m] += p;
      if (two_hop) {
        for (uint64_t f = nb_off_[m]; f < nb_off_[m + 1]; ++f) H[nb_item_[f]] += p * nb_p_[f];
      }
    }
    uint64_t na = at_off_[h + 1] - at_off_[h];
    for (uint64_t e = at_off_[h]; e < at_off_[h + 1]; ++e)
      attr[s][at_id_[e]] += w / static_cast<float>(na) * attr_norm_[at_id_[e]];
  }
  for (int s = 0; s < 2; ++s) {
    if (num_attrs_ == 0) break;
    for (uint32_t j = 0; j < n; ++j) {
      float a = 0;
      for (uint64_t e = at_off_[j]; e < at_off_[j + 1]; ++e) a += attr[s][at_id_[e]];
      P->a[s][j] = a * attr_item_[j];
    }
  }
  if (P->rest_weight > 0) {  // the earlier items as a weighted mean
    const float inv = 1 / P->rest_weight;
    for (auto* v : {&P->t[1], &P->h[1], &P->a[1]})
      for (float& x : *v) x *= inv;
  }
}

float SeqMix::Combine(const SeqMixParts& P, uint32_t j) const {
  const float wsum = P.last_weight + P.rest_weight;
  float s = 0;
  for (int k = 0; k < 2; ++k) {
    const float wk = k == 0 ? P.last_weight : P.rest_weight;
    if (wk == 0) continue;
    s += wk * (P.t[k][j] + (P.h[k].empty() ? 0 : o_.two_hop * P.h[k][j]) + o_.attr * P.a[k][j]);
  }
  return (wsum > 0 ? s / wsum : 0) + o_.pop * prior_[j];
}

void SeqMix::Score(uint32_t /*user*/, std::span<const uint32_t> history, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  SeqMixParts P;
  Parts(history, o_.two_hop > 0, &P);
  for (uint32_t j = 0; j < num_items_ && j < out.size(); ++j) out[j] = Combine(P, j);
}

}  // namespace kgp::rec
