#include "recommend/covisit.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "common/threads.h"
#include "graph/schema.h"

namespace kgp::rec {

// Row by row instead of from a sorted list of every pair occurrence (12 bytes each, up to
// 2 × max_span per event: 1 GB at 2 M events): each item's occurrences, in user order, are
// its positions in the users' histories; a row sums its partners around each occurrence in a
// dense accumulator. A pair (i, j), i < j, counts when j − i <= max_span and ts_j − ts_i <=
// window_s (histories are in time order), both events weigh more than 0 and the items differ;
// it adds sqrt(w_i · w_j) to both items' rows. Rows are independent: threads take blocks of them.
CoVisitIndex CoVisitIndex::Build(const History& h, const CoVisitOptions& opts) {
  const size_t n = h.num_items();
  CoVisitIndex idx;
  // The rows to build (rows_for): the others get no occurrences, hence empty rows.
  std::vector<uint8_t> wanted;
  if (opts.rows_for) {
    idx.only_ = *opts.rows_for;
    std::sort(idx.only_->begin(), idx.only_->end());
    idx.only_->erase(std::unique(idx.only_->begin(), idx.only_->end()), idx.only_->end());
    // Ids past the catalogue have no row to build (Built says so, as Of returns none).
    idx.only_->erase(std::lower_bound(idx.only_->begin(), idx.only_->end(), n), idx.only_->end());
    wanted.assign(n, 0);
    for (uint32_t item : *idx.only_) wanted[item] = 1;
  }
  const auto counted = [&](const ProfileEvent& e) {
    return e.item < n && (wanted.empty() || wanted[e.item]) && InteractionWeight(e.type, std::nullopt) > 0;
  };
  struct Occurrence {
    uint32_t user, pos;
  };
  // Occurrences grouped by item (counting sort), each user's in time order.
  std::vector<uint64_t> start(n + 1, 0);
  for (uint32_t u = 0; u < h.num_users(); ++u)
    for (const ProfileEvent& e : h.Of(u))
      if (counted(e)) ++start[e.item + 1];
  for (size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<Occurrence> occ(start[n]);
  {
    std::vector<uint64_t> fill(start.begin(), start.end() - 1);
    for (uint32_t u = 0; u < h.num_users(); ++u) {
      auto ev = h.Of(u);
      for (size_t i = 0; i < ev.size(); ++i)
        if (counted(ev[i])) occ[fill[ev[i].item]++] = {u, static_cast<uint32_t>(i)};
    }
  }

  constexpr size_t kBlock = 256;  // rows a thread claims at a time
  const size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::vector<Neighbor>> rows(blocks);
  std::vector<std::vector<uint32_t>> lengths(blocks);
  std::atomic<size_t> next_block{0};
  const int threads = static_cast<int>(std::clamp<size_t>(opts.threads, 1, std::max<size_t>(blocks, 1)));
  const auto build = [&](int) {
    std::vector<float> acc(n, 0.0f);
    std::vector<uint32_t> touched;
    std::vector<Neighbor> row;
    for (size_t b; (b = next_block.fetch_add(1, std::memory_order_relaxed)) < blocks;) {
      for (size_t a = b * kBlock; a < std::min(n, (b + 1) * kBlock); ++a) {
        touched.clear();
        for (uint64_t o = start[a]; o < start[a + 1]; ++o) {
          auto ev = h.Of(occ[o].user);
          const size_t i = occ[o].pos;
          const float wi = static_cast<float>(InteractionWeight(ev[i].type, std::nullopt));
          const auto add = [&](const ProfileEvent& e) {
            if (e.item == ev[i].item || e.item >= n) return;
            const float wj = static_cast<float>(InteractionWeight(e.type, std::nullopt));
            if (wj <= 0) return;
            if (acc[e.item] == 0.0f) touched.push_back(e.item);
            acc[e.item] += std::sqrt(wi * wj);
          };
          for (size_t j = i + 1; j < ev.size() && j <= i + opts.max_span; ++j) {
            if (ev[j].ts - ev[i].ts > opts.window_s) break;
            add(ev[j]);
          }
          for (size_t j = i; j-- > 0 && i - j <= opts.max_span;) {
            if (ev[i].ts - ev[j].ts > opts.window_s) break;
            add(ev[j]);
          }
        }
        row.clear();
        for (uint32_t t : touched) row.push_back({t, acc[t]}), acc[t] = 0.0f;
        const size_t keep = std::min(row.size(), opts.neighbors);
        std::partial_sort(row.begin(), row.begin() + static_cast<ptrdiff_t>(keep), row.end(),
                          [](const Neighbor& x, const Neighbor& y) { return x.score != y.score ? x.score > y.score : x.item < y.item; });
        rows[b].insert(rows[b].end(), row.begin(), row.begin() + static_cast<ptrdiff_t>(keep));
        lengths[b].push_back(static_cast<uint32_t>(keep));
      }
    }
  };
  try {
    RunThreads(threads, build);
  } catch (const std::exception&) {
    // A thread that could not start (a pids or memory limit; no command sets this count):
    // the rows are built again on the caller's thread alone, which rethrows a real failure.
    if (threads == 1) throw;
    for (size_t b = 0; b < blocks; ++b) rows[b].clear(), lengths[b].clear();
    next_block = 0;
    build(0);
  }

  idx.offsets_.assign(n + 1, 0);
  size_t total = 0;
  for (const auto& r : rows) total += r.size();
  idx.nbrs_.reserve(total);
  size_t a = 0;
  for (size_t b = 0; b < blocks; ++b) {
    for (uint32_t len : lengths[b]) idx.offsets_[a + 1] = idx.offsets_[a] + len, ++a;
    idx.nbrs_.insert(idx.nbrs_.end(), rows[b].begin(), rows[b].end());
    std::vector<Neighbor>().swap(rows[b]);
  }
  return idx;
}

}  // namespace kgp::rec
