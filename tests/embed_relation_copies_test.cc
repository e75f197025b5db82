// Per-thread relation copies (embed/relation_copies.h): whatever the interleaving of threads,
// merges after each copy's own updates, sweeps and the final sweep, every change reaches the
// shared rows exactly once.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "common/rng.h"
#include "embed/relation_copies.h"

namespace kgp::embed {
namespace {

// Threads add 1 to every element of rows drawn at random (whole numbers: float sums are exact
// up to 2^24), through their copies; the shared rows must end at the start plus every thread's
// additions to them.
TEST(EmbedRelationCopies, EveryChangeReachesTheSharedRowsOnce) {
  constexpr size_t kRows = 7, kWidth = 19;
  for (uint32_t merge_every : {1u, 5u, 52u, 5000u}) {
    for (int threads : {1, 2, 4}) {
      std::vector<float> shared(kRows * kWidth);
      for (size_t i = 0; i < shared.size(); ++i) shared[i] = float(i % 5);
      const std::vector<float> start = shared;
      std::mutex lock;
      std::vector<std::vector<uint64_t>> added(static_cast<size_t>(threads), std::vector<uint64_t>(kRows));
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          RelationCopies copies;
          copies.Init(shared.data(), kRows, kWidth, &lock, merge_every);
          Rng rng(17 + uint64_t(t));
          // Rows 0 and 1 often, the others rarely (as relations are), and a few sweeps.
          for (int i = 0; i < 20000; ++i) {
            copies.Tick();
            const uint32_t r = rng.Below(4u) ? rng.Below(2u) : rng.Below(uint32_t{kRows});
            float* row = copies.Row(r);
            for (size_t j = 0; j < kWidth; ++j) row[j] += 1.0f;
            copies.Updated(r);
            ++added[size_t(t)][r];
          }
          copies.Sweep();
        });
      for (auto& th : pool) th.join();
      for (size_t r = 0; r < kRows; ++r) {
        uint64_t total = 0;
        for (auto& a : added) total += a[r];
        for (size_t j = 0; j < kWidth; ++j)
          ASSERT_EQ(shared[r * kWidth + j], start[r * kWidth + j] + float(total))
              << "row " << r << ", element " << j << ", merge every " << merge_every << ", " << threads << " threads";
      }
    }
  }
}

// A copy sees the other threads' merged changes once it is merged or swept: after a sweep, the
// next Row() is the shared row as it is now.
TEST(EmbedRelationCopies, ACopyIsTakenAfreshAfterASweep) {
  std::vector<float> shared{1, 2, 3, 4};
  std::mutex lock;
  RelationCopies a, b;
  a.Init(shared.data(), 2, 2, &lock, 100);
  b.Init(shared.data(), 2, 2, &lock, 100);
  a.Row(1)[0] += 10;
  a.Updated(1);
  EXPECT_EQ(shared[2], 3) << "merged before merge_every updates";
  EXPECT_EQ(b.Row(1)[0], 3);
  a.Sweep();
  EXPECT_EQ(shared[2], 13);
  EXPECT_EQ(b.Row(1)[0], 3) << "b's copy is still the one it took";
  b.Sweep();
  EXPECT_EQ(b.Row(1)[0], 13);
}

}  // namespace
}  // namespace kgp::embed
