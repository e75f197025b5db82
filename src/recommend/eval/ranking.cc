#include "recommend/eval/ranking.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/threads.h"
#include "common/time.h"
#include "recommend/metrics.h"

namespace kgp::rec {

namespace {
// A sorted vector as the relevant set of ScoreTopK.
struct SortedSet {
  std::span<const uint32_t> v;
  size_t count(uint32_t x) const { return std::binary_search(v.begin(), v.end(), x) ? 1 : 0; }
  size_t size() const { return v.size(); }
  bool empty() const { return v.empty(); }
};
}  // namespace

size_t TopK(std::span<const float> scores, std::span<const uint8_t> exclude, std::span<uint32_t> out) {
  const size_t k = out.size();
  if (k == 0) return 0;
  // "a before b": higher score, then lower id. NaN ranks last.
  auto before = [&](uint32_t a, uint32_t b) {
    float sa = scores[a], sb = scores[b];
    if (std::isnan(sa)) sa = -INFINITY;
    if (std::isnan(sb)) sb = -INFINITY;
    return sa != sb ? sa > sb : a < b;
  };
  // Min-heap (worst at front) of the best k so far: one comparison for most items.
  std::vector<uint32_t> heap;
  heap.reserve(k);
  for (uint32_t i = 0; i < scores.size(); ++i) {
    if (!exclude.empty() && exclude[i]) continue;
    if (heap.size() < k) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), before);
    } else if (before(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), before);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), before);
    }
  }
  std::sort(heap.begin(), heap.end(), before);
  std::copy(heap.begin(), heap.end(), out.begin());
  return heap.size();
}

double KgatNdcg(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant_sorted, size_t k) {
  double dcg = 0;
  size_t hits_all = 0;
  for (size_t p = 0; p < ranked.size(); ++p) {
    if (std::binary_search(relevant_sorted.begin(), relevant_sorted.end(), ranked[p])) {
      ++hits_all;
      if (p < k) dcg += 1.0 / std::log2(static_cast<double>(p) + 2.0);
    }
  }
  double idcg = 0;
  for (size_t p = 0; p < std::min(k, hits_all); ++p) idcg += 1.0 / std::log2(static_cast<double>(p) + 2.0);
  return idcg > 0 ? dcg / idcg : 0;
}

RankingResult EvaluateFullRanking(const Recommender& model, const InteractionMatrix& train,
                                  const std::vector<std::vector<uint32_t>>& test, const RankingOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  const uint32_t n_items = train.num_items();
  int list = 0;
  for (int k : opts.ks) list = std::max(list, k);
  if (opts.kgat_ndcg) list = std::max(list, opts.kgat_list);
  // No ranked list is longer than the catalogue, whatever k was asked for.
  list = static_cast<int>(std::min<int64_t>(list, n_items));
  std::vector<uint32_t> users;
  for (uint32_t u = 0; u < test.size(); ++u) {
    if (!test[u].empty()) users.push_back(u);
  }
  const int nt = std::max(1, opts.threads);
  std::vector<std::map<std::string, double>> sums(static_cast<size_t>(nt));
  std::atomic<size_t> next{0}, done{0};
  std::optional<Progress> progress;  // advanced by thread 0 only (Progress has one owner)
  if (opts.progress) progress.emplace("ranking", users.size(), "users");
  RunThreads(nt, [&](int tid) {
    std::vector<float> scores(n_items);
    std::vector<uint8_t> exclude(n_items, 0);
    std::vector<uint32_t> ranked(static_cast<size_t>(list)), rel;
    auto& sum = sums[static_cast<size_t>(tid)];
    for (;;) {
      size_t idx = next.fetch_add(1);
      if (idx >= users.size()) break;
      uint32_t u = users[idx];
      std::span<const uint32_t> history;
      if (u < train.num_users()) history = train.Items(u);
      model.Score(u, history, scores);
      for (uint32_t i : history) exclude[i] = 1;
      size_t got = TopK(scores, exclude, ranked);
      for (uint32_t i : history) exclude[i] = 0;
      rel.assign(test[u].begin(), test[u].end());
      std::sort(rel.begin(), rel.end());
      std::span<const uint32_t> top(ranked.data(), got);
      SortedSet set{rel};
      for (int k : opts.ks) {
        auto m = ScoreTopK(top.first(std::min<size_t>(got, static_cast<size_t>(k))), set, static_cast<size_t>(k));
        sum[fmt::format("recall@{}", k)] += m.recall;
        sum[fmt::format("ndcg@{}", k)] += m.ndcg;
        sum[fmt::format("precision@{}", k)] += m.precision;
        sum[fmt::format("hit@{}", k)] += m.hit;
        if (opts.kgat_ndcg) sum[fmt::format("ndcg@{} (KGAT)", k)] += KgatNdcg(top, rel, static_cast<size_t>(k));
      }
      size_t d = done.fetch_add(1) + 1;
      if (tid == 0 && progress) progress->Set(d);
    }
  });
  if (progress) progress->Finish();
  RankingResult r;
  r.users = users.size();
  for (const auto& s : sums) {
    for (const auto& [k, v] : s) r.metrics[k] += v;
  }
  for (auto& [k, v] : r.metrics) v /= static_cast<double>(std::max<size_t>(r.users, 1));
  r.seconds = SecondsSince(start);
  return r;
}

}  // namespace kgp::rec
