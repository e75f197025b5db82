// Item–item co-visitation against a reference that follows its definition literally: every pair
// of events of one user at most max_span apart in their history and window_s apart in time,
// both weighing more than 0, on different items, adds sqrt(w_i · w_j) to both items' rows.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "graph/schema.h"
#include "recommend/covisit.h"

namespace kgp::rec {
namespace {

std::map<std::pair<uint32_t, uint32_t>, double> Reference(const History& h, const CoVisitOptions& o) {
  std::map<std::pair<uint32_t, uint32_t>, double> m;
  for (uint32_t u = 0; u < h.num_users(); ++u) {
    auto ev = h.Of(u);
    for (size_t i = 0; i < ev.size(); ++i)
      for (size_t j = i + 1; j < ev.size() && j - i <= o.max_span; ++j) {
        const double wi = InteractionWeight(ev[i].type, std::nullopt), wj = InteractionWeight(ev[j].type, std::nullopt);
        if (ev[j].ts - ev[i].ts > o.window_s || wi <= 0 || wj <= 0 || ev[i].item == ev[j].item) continue;
        m[{ev[i].item, ev[j].item}] += std::sqrt(wi * wj);
        m[{ev[j].item, ev[i].item}] += std::sqrt(wi * wj);
      }
  }
  return m;
}

History RandomHistory(uint64_t seed, uint32_t users, uint32_t items, size_t events) {
  std::mt19937_64 rng(seed);
  const EventType types[] = {EventType::kView, EventType::kView, EventType::kView, EventType::kCart,
                             EventType::kRemoveFromCart, EventType::kPurchase, EventType::kFavorite};
  std::vector<ProfileEvent> ev;
  for (size_t k = 0; k < events; ++k) {
    const auto u = static_cast<uint32_t>(rng() % users);
    // Bursts and long gaps, and equal times, so that windows and spans both cut.
    const int64_t ts = 1700000000 + static_cast<int64_t>(rng() % 40) * 1800 + static_cast<int64_t>(rng() % 3) * 600;
    ev.push_back(ProfileEvent{ts, u, static_cast<uint32_t>(rng() % items), NAN, NAN, types[rng() % 7]});
  }
  return History::Build(ev, INT64_MAX, ItemIndex{});
}

TEST(RecommendCoVisit, RowsAreTheStrongestPartnersByTheDefinition) {
  for (const uint64_t seed : {1, 2, 3}) {
    const History h = RandomHistory(seed, 40, 300, 6000);
    for (const size_t threads : {1, 2, 3}) {
      CoVisitOptions o;
      o.window_s = 3600;
      o.max_span = 5;
      o.neighbors = 7;
      o.threads = threads;
      const CoVisitIndex idx = CoVisitIndex::Build(h, o);
      const auto ref = Reference(h, o);
      size_t rows = 0, cut = 0, kept = 0;
      for (uint32_t a = 0; a < h.num_items(); ++a) {
        std::vector<std::pair<double, uint32_t>> want;  // (−score, item): strongest first, ties by item
        for (auto it = ref.lower_bound({a, 0}); it != ref.end() && it->first.first == a; ++it)
          want.emplace_back(-it->second, it->first.second);
        std::sort(want.begin(), want.end());
        const auto got = idx.Of(a);
        ASSERT_EQ(got.size(), std::min(want.size(), o.neighbors)) << "item " << a << ", seed " << seed << ", threads " << threads;
        rows += !got.empty();
        cut += want.size() > o.neighbors;
        kept += got.size();
        for (size_t k = 0; k < got.size(); ++k) {
          EXPECT_NEAR(got[k].score, -want[k].first, 1e-4) << "item " << a << " rank " << k;
          // Float sums may order near-ties differently: the partner must have the same score.
          if (got[k].item != want[k].second) {
            EXPECT_NEAR(ref.at({a, got[k].item}), -want[k].first, 1e-4) << "item " << a << " rank " << k;
          }
        }
        if (!got.empty()) {
          EXPECT_GE(got.front().score, got.back().score);
        }
      }
      EXPECT_GT(rows, 250u);  // the data exercises most rows, and cuts them
      EXPECT_GT(cut, 100u);
      EXPECT_EQ(idx.pairs(), kept);
    }
  }
}

CoVisitOptions Threads(size_t threads) {
  CoVisitOptions o;
  o.threads = threads;
  return o;
}

TEST(RecommendCoVisit, ThreadsGiveTheSameIndex) {
  const History h = RandomHistory(7, 25, 2000, 20000);
  const CoVisitIndex one = CoVisitIndex::Build(h, Threads(1));
  const CoVisitIndex two = CoVisitIndex::Build(h, Threads(2));
  ASSERT_GT(one.pairs(), 10000u);
  ASSERT_EQ(one.pairs(), two.pairs());
  for (uint32_t a = 0; a < h.num_items(); ++a) {
    const auto x = one.Of(a), y = two.Of(a);
    ASSERT_EQ(x.size(), y.size());
    for (size_t k = 0; k < x.size(); ++k) {
      EXPECT_EQ(x[k].item, y[k].item);
      EXPECT_EQ(x[k].score, y[k].score);  // each row is summed in one order whatever the threads
    }
  }
}

// Rows for a few items only (a command about one user or item): each is the whole index's row,
// the others are empty and not Built; ids past the catalogue are ignored.
TEST(RecommendCoVisit, RowsForSomeItemsAreTheWholeIndexsRows) {
  const History h = RandomHistory(11, 25, 2000, 20000);
  const CoVisitIndex all = CoVisitIndex::Build(h);
  CoVisitOptions o;
  o.rows_for = std::vector<uint32_t>{17, 3, 17, 240, 99999};
  const CoVisitIndex some = CoVisitIndex::Build(h, o);
  size_t compared = 0;
  for (uint32_t a = 0; a < h.num_items(); ++a) {
    const bool asked = a == 3 || a == 17 || a == 240;
    EXPECT_EQ(some.Built(a), asked) << a;
    EXPECT_TRUE(all.Built(a));
    const auto x = all.Of(a), y = some.Of(a);
    if (!asked) {
      EXPECT_TRUE(y.empty()) << a;
      continue;
    }
    ASSERT_EQ(x.size(), y.size()) << a;
    ASSERT_FALSE(x.empty()) << a;
    for (size_t k = 0; k < x.size(); ++k) {
      EXPECT_EQ(x[k].item, y[k].item) << a << " rank " << k;
      EXPECT_EQ(x[k].score, y[k].score) << a << " rank " << k;
    }
    ++compared;
  }
  EXPECT_EQ(compared, 3u);
  EXPECT_FALSE(some.Built(99999)) << "an id past the catalogue has no row to build";
  EXPECT_EQ(some.pairs(), all.Of(3).size() + all.Of(17).size() + all.Of(240).size());
}

TEST(RecommendCoVisit, EmptyHistoryAndItemsNobodyTouched) {
  const History h = History::Build({}, INT64_MAX, ItemIndex{});
  EXPECT_TRUE(h.Of(UINT32_MAX).empty());  // the largest id does not wrap round to row 0
  const CoVisitIndex idx = CoVisitIndex::Build(h);
  EXPECT_EQ(idx.pairs(), 0u);
  EXPECT_TRUE(idx.Of(0).empty());
  EXPECT_TRUE(idx.Of(UINT32_MAX).empty());
}

}  // namespace
}  // namespace kgp::rec
