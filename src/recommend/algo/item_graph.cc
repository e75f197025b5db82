#include "recommend/algo/item_graph.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "common/threads.h"

namespace kgp::rec {

SparseItemRows BuildItemGraph(const InteractionMatrix& user_items, const InteractionMatrix& item_users,
                              std::span<const float> user_weight,
                              const std::function<float(uint32_t, uint32_t, float)>& weight,
                              const ItemGraphOptions& opts) {
  const uint32_t n = user_items.num_items();
  std::vector<std::vector<std::pair<uint32_t, float>>> rows(n);
  std::atomic<uint32_t> next{0};
  constexpr uint32_t kChunk = 64;
  auto worker = [&](int) {
    std::vector<float> acc(n, 0.0f);
    std::vector<uint8_t> seen(n, 0);
    std::vector<uint32_t> touched;
    std::vector<std::pair<uint32_t, float>> cand;
    for (;;) {
      uint32_t begin = next.fetch_add(kChunk);
      if (begin >= n) break;
      uint32_t end = std::min(n, begin + kChunk);
      for (uint32_t i = begin; i < end; ++i) {
        if (i < item_users.num_users()) {
          for (uint32_t u : item_users.Items(i)) {
            float w = user_weight[u];
            for (uint32_t j : user_items.Items(u)) {
              if (!seen[j]) {
                seen[j] = 1;
                touched.push_back(j);
              }
              acc[j] += w;
            }
          }
        }
        cand.clear();
        for (uint32_t j : touched) {
          if (j != i) {
            float v = weight(i, j, acc[j]);
            if (v > 0) cand.emplace_back(j, v);
          }
          acc[j] = 0;
          seen[j] = 0;
        }
        touched.clear();
        auto better = [](const auto& a, const auto& b) {
          return a.second != b.second ? a.second > b.second : a.first < b.first;
        };
        if (opts.top_k > 0 && cand.size() > static_cast<size_t>(opts.top_k)) {
          std::nth_element(cand.begin(), cand.begin() + opts.top_k, cand.end(), better);
          cand.resize(static_cast<size_t>(opts.top_k));
        }
        if (opts.normalize_rows) {
          double sum = 0;
          for (const auto& c : cand) sum += c.second;
          if (sum > 0) {
            for (auto& c : cand) c.second = static_cast<float>(c.second / sum);
          }
        }
        std::sort(cand.begin(), cand.end());  // by column: sequential writes when scoring
        rows[i] = cand;
      }
    }
  };
  RunThreads(std::max(1, opts.threads), worker);
  SparseItemRows out;
  out.num_items = n;
  out.offsets.assign(static_cast<size_t>(n) + 1, 0);
  for (uint32_t i = 0; i < n; ++i) out.offsets[i + 1] = out.offsets[i] + rows[i].size();
  out.cols.reserve(out.offsets[n]);
  out.vals.reserve(out.offsets[n]);
  for (auto& row : rows) {
    for (const auto& [j, v] : row) {
      out.cols.push_back(j);
      out.vals.push_back(v);
    }
    std::vector<std::pair<uint32_t, float>>().swap(row);
  }
  return out;
}

}  // namespace kgp::rec
