// Partitioned epochs for multithreaded training. Hogwild lets every thread write every row;
// where writes that cross cores are costly (measured by the embedding benchmark's host probe:
// on some 2-core VMs two threads updating one shared table are slower than one), each thread
// is instead given its own part of the entity table for a while, in the manner of
// PyTorch-BigGraph's buckets: entities are split into 2 * threads parts, a training triple
// falls in the bucket (part of its head, part of its tail), and an epoch runs in rounds in
// which every thread owns two parts, trains the triples of the buckets between them and draws
// its negatives from them (then helps with the other threads' lists: embed/trainer.cc). The
// parts are made of blocks of consecutive entities (rows stay together in memory), shuffled by
// a seed of the run's seed and the epoch and dealt to the parts in turn (equal parts), so that
// a triple's negatives come from a different half of the entities each epoch.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "embed/dataset.h"

namespace kgp::embed {

// An epoch's work: the triples of each thread in each round, in the epoch's (shuffled) order.
struct EpochPlan {
  int threads = 0, parts = 0, rounds = 0;
  std::vector<Triple> triples;                 // grouped by (round, slot)
  std::vector<size_t> start;                   // list (round, slot): [start[round*threads+slot], the next)
  std::vector<std::vector<uint32_t>> members;  // the entities of each part, ascending
  size_t Size(int round, int slot) const { return start[Index(round, slot) + 1] - start[Index(round, slot)]; }
  const Triple* Begin(int round, int slot) const { return triples.data() + start[Index(round, slot)]; }
  // The entities slot `slot` draws negatives from in `round`: those of its two parts.
  std::vector<uint32_t> Pool(int round, int slot) const;

 private:
  size_t Index(int round, int slot) const { return static_cast<size_t>(round * threads + slot); }
};

// Entities per block: 64 (a block's rows are one stretch of the table), fewer on small graphs
// so that each part still gets about 64 blocks.
uint32_t PartitionBlock(size_t num_entities, int parts);

// Splits the entities into 2 * threads parts by blocks (shuffled by the seed, dealt in turn) and gives each
// thread in each round the triples of the buckets it trains (RoundBuckets), in the order they
// have in `order`: a round's buckets are interleaved as the shuffle left them (trained one
// bucket after the other, the demo e-commerce graph's held-out MRR fell from 0.21 to 0.17).
EpochPlan PlanEpoch(const std::vector<Triple>& order, size_t num_entities, int threads, uint64_t seed);

// Rounds of an epoch over `parts` (even) parts: parts - 1 rounds, in each of which the parts are
// paired up (a round-robin tournament), every pair once per epoch. Pair `slot` of `round`.
std::pair<int, int> RoundPair(int parts, int round, int slot);

// The buckets slot `slot` trains in `round`: (a, b) and (b, a) of its pair, and in round 0
// (a, a) and (b, b) too. Over an epoch's rounds and slots, every bucket once.
std::vector<std::pair<int, int>> RoundBuckets(int parts, int round, int slot);

// A round's list of n triples, claimed by the threads a chunk at a time: kChunk while much is
// left, then a share of what is left (at least kMinChunk), so that the threads finish a round
// within a short chunk of each other instead of one waiting at the round's end for another's
// last long chunk.
struct alignas(64) ChunkCursor {
  static constexpr size_t kChunk = 1024, kMinChunk = 64;
  std::atomic<size_t> next{0};
  // The next chunk [first, first + second) for one of `threads` threads; second is 0 when the
  // list is done.
  std::pair<size_t, size_t> Claim(size_t n, int threads) {
    size_t c = next.load(std::memory_order_relaxed);
    for (;;) {
      if (c >= n) return {n, 0};
      const size_t m = std::min(n - c, std::clamp((n - c) / (4 * static_cast<size_t>(threads)), kMinChunk, kChunk));
      if (next.compare_exchange_weak(c, c + m, std::memory_order_relaxed)) return {c, m};
    }
  }
};

}  // namespace kgp::embed
