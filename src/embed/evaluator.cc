#include "embed/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "common/threads.h"
#include "common/time.h"
#include "embed/trainer.h"

namespace kgp::embed {

Ranks RankOf(const float* scores, size_t n, uint32_t target, const uint32_t* kb, const uint32_t* ke) {
  float s = scores[target];
  if (std::isnan(s)) return {double(n), double(n)};
  size_t greater = 0, equal = 0;
  for (size_t e = 0; e < n; ++e) {
    greater += scores[e] > s;
    equal += scores[e] == s;
  }
  equal -= 1;  // the target itself
  double raw = 1.0 + double(greater) + double(equal) / 2.0;
  size_t fg = greater, fe = equal;
  for (const uint32_t* k = kb; k != ke; ++k) {
    if (*k == target) continue;
    fg -= scores[*k] > s;
    fe -= scores[*k] == s;
  }
  return {raw, 1.0 + double(fg) + double(fe) / 2.0};
}

Metrics Summarize(const std::vector<double>& ranks) {
  Metrics m;
  m.count = ranks.size();
  if (ranks.empty()) return m;
  for (double r : ranks) {
    m.mr += r;
    m.mrr += 1.0 / r;
    m.hits1 += r <= 1;
    m.hits3 += r <= 3;
    m.hits10 += r <= 10;
  }
  double n = double(ranks.size());
  m.mr /= n, m.mrr /= n, m.hits1 /= n, m.hits3 /= n, m.hits10 /= n;
  return m;
}

EvalResult Evaluate(const Model& model, const Params& p, const std::vector<Triple>& triples, const KnownTriples& known,
                    const EvalOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  size_t n = triples.size();
  // Grouped by relation so that per-relation preparation (TransR projections) happens once
  // per relation per thread.
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return triples[a].r < triples[b].r; });
  std::vector<Ranks> head(n), tail(n);
  int threads = std::max(1, std::min<int>(opts.threads > 0 ? opts.threads : DefaultThreads(), int(n ? n : 1)));
  // Queries go in batches of up to kBatch triples of one relation (2 * kBatch queries), scored
  // together so that the entity table streams through the cache once per batch.
  constexpr size_t kBatch = 16;
  size_t ne = p.num_entities, qw = model.query_width();
  auto work = [&](int tid) {
    std::vector<float> scores(2 * kBatch * ne), queries(2 * kBatch * qw), scratch;
    uint32_t prepared = UINT32_MAX;
    size_t b = n * tid / threads, e = n * (tid + 1) / threads;
    for (size_t i = b; i < e;) {
      uint32_t r = triples[order[i]].r;
      if (r != prepared) model.PrepareRelation(p, r, &scratch), prepared = r;
      size_t m = 0;
      while (m < kBatch && i + m < e && triples[order[i + m]].r == r) ++m;
      for (size_t j = 0; j < m; ++j) {
        const Triple& x = triples[order[i + j]];
        model.TailQuery(p, x.h, r, scratch, queries.data() + (2 * j) * qw);
        model.HeadQuery(p, r, x.t, scratch, queries.data() + (2 * j + 1) * qw);
      }
      model.ScoreQueries(p, scratch, queries.data(), 2 * m, scores.data());
      for (size_t j = 0; j < m; ++j) {
        uint32_t idx = order[i + j];
        const Triple& x = triples[idx];
        auto [tb, te] = known.Tails(x.h, x.r);
        tail[idx] = RankOf(scores.data() + (2 * j) * ne, ne, x.t, tb, te);
        auto [hb, he] = known.Heads(x.r, x.t);
        head[idx] = RankOf(scores.data() + (2 * j + 1) * ne, ne, x.h, hb, he);
      }
      i += m;
    }
  };
  RunThreads(threads, work);
  std::vector<double> fh, ft, rh, rt, fall, rall;
  std::map<uint32_t, std::vector<double>> per_rel;
  for (size_t i = 0; i < n; ++i) {
    fh.push_back(head[i].filtered), ft.push_back(tail[i].filtered);
    rh.push_back(head[i].raw), rt.push_back(tail[i].raw);
    if (opts.per_relation) {
      auto& v = per_rel[triples[i].r];
      v.push_back(head[i].filtered);
      v.push_back(tail[i].filtered);
    }
  }
  fall = fh, fall.insert(fall.end(), ft.begin(), ft.end());
  rall = rh, rall.insert(rall.end(), rt.begin(), rt.end());
  EvalResult r;
  r.filtered = Summarize(fall), r.raw = Summarize(rall);
  r.filtered_head = Summarize(fh), r.filtered_tail = Summarize(ft);
  r.raw_head = Summarize(rh), r.raw_tail = Summarize(rt);
  for (auto& [rel, v] : per_rel) r.per_relation.push_back({rel, Summarize(v)});
  r.seconds = SecondsSince(t0);
  return r;
}

}  // namespace kgp::embed
