// Partitioned epochs (embed/partition.h): every triple in exactly one bucket, every bucket
// planned once per epoch for a thread that owns both its parts, parts made of whole blocks
// (embed_train_test.cc checks that training reaches every positive).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <vector>
#include <string>

#include "embed/kge.h"
#include "embed/presets.h"
#include "common/rng.h"
#include "embed/partition.h"

namespace kgp::embed {
namespace {

std::vector<Triple> RandomTriples(size_t n, uint32_t entities, uint64_t seed) {
  Rng rng(seed);
  std::vector<Triple> v(n);
  for (auto& x : v) x = {rng.Below(entities), rng.Below(3u), rng.Below(entities)};
  return v;
}

// Which part each entity is in, checking that parts hold every entity once, in whole blocks.
std::vector<int> PartOf(const EpochPlan& plan, uint32_t entities) {
  std::vector<int> part_of(entities, -1);
  for (int a = 0; a < plan.parts; ++a)
    for (uint32_t e : plan.members[size_t(a)]) {
      EXPECT_EQ(part_of[e], -1) << e << " in two parts";
      part_of[e] = a;
    }
  uint32_t block = PartitionBlock(entities, plan.parts);
  for (uint32_t e = 0; e < entities; ++e) {
    EXPECT_NE(part_of[e], -1) << e << " in no part";
    if (e % block) {
      EXPECT_EQ(part_of[e], part_of[e - 1]) << e << " split from its block";
    }
  }
  return part_of;
}

TEST(EmbedPartition, EachTripleGoesOnceToTheThreadOwningBothItsEndsInTheEpochsOrder) {
  for (uint32_t entities : {5u, 130u, 9000u}) {
    std::vector<Triple> order = RandomTriples(4000, entities, entities);
    for (int threads : {1, 2, 3}) {
      EpochPlan plan = PlanEpoch(order, entities, threads, 7);
      ASSERT_EQ(plan.parts, 2 * threads);
      ASSERT_EQ(plan.rounds, 2 * threads - 1);
      std::vector<int> part_of = PartOf(plan, entities);
      ASSERT_EQ(plan.triples.size(), order.size());
      size_t total = 0;
      for (int round = 0; round < plan.rounds; ++round)
        for (int slot = 0; slot < threads; ++slot) {
          auto [a, b] = RoundPair(plan.parts, round, slot);
          std::vector<uint32_t> pool = plan.Pool(round, slot);
          std::set<uint32_t> owned(pool.begin(), pool.end());
          // The list is the subsequence of `order` whose bucket this slot trains this round.
          std::vector<const Triple*> want;
          for (const Triple& x : order) {
            for (auto [p, q] : RoundBuckets(plan.parts, round, slot))
              if (part_of[x.h] == p && part_of[x.t] == q) want.push_back(&x);
          }
          ASSERT_EQ(plan.Size(round, slot), want.size()) << "round " << round << " slot " << slot;
          for (size_t k = 0; k < want.size(); ++k) {
            const Triple& got = plan.Begin(round, slot)[k];
            EXPECT_TRUE(got.h == want[k]->h && got.r == want[k]->r && got.t == want[k]->t) << k;
            EXPECT_TRUE(owned.count(got.h) && owned.count(got.t)) << "a row outside the slot's parts";
          }
          EXPECT_EQ(pool.size(), plan.members[size_t(a)].size() + plan.members[size_t(b)].size());
          total += want.size();
        }
      EXPECT_EQ(total, order.size()) << "every triple once per epoch";
    }
  }
}

TEST(EmbedPartition, PartsChangeWithTheSeedAndBlocksAreAtMost64) {
  EXPECT_EQ(PartitionBlock(40943, 4), 64u);
  EXPECT_EQ(PartitionBlock(135, 4), 1u);
  EXPECT_EQ(PartitionBlock(2560, 4), 10u);
  std::vector<Triple> none;
  EpochPlan a = PlanEpoch(none, 40943, 2, 1), b = PlanEpoch(none, 40943, 2, 2);
  EXPECT_NE(a.members, b.members) << "another epoch's seed must give other parts";
  for (const auto& m : a.members) EXPECT_GT(m.size(), 40943u / 8) << "parts of very unequal size";
}

// Not only other labels: which blocks share a part changes from one epoch to the next, so that a
// triple's negatives come from another half of the entities. Over 20 seeds, two blocks P apart
// share a part about 1 time in P (they always did when the part was a hash of seed + block
// without mixing: blocks by b mod P, relabelled). And parts stay the same size, to a block.
TEST(EmbedPartition, BlocksMeetOtherBlocksInOtherEpochs) {
  constexpr uint32_t kEntities = 40943;
  const uint32_t block = PartitionBlock(kEntities, 4);
  const uint32_t blocks = kEntities / block;
  std::set<std::vector<std::vector<uint32_t>>> groupings;
  size_t together = 0, pairs = 0;
  std::vector<Triple> none;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    EpochPlan plan = PlanEpoch(none, kEntities, 2, seed);
    std::vector<int> part_of = PartOf(plan, kEntities);
    for (uint32_t b = 0; b + 4 < blocks; ++b) together += part_of[b * block] == part_of[(b + 4) * block], ++pairs;
    size_t smallest = SIZE_MAX, largest = 0;
    for (const auto& m : plan.members) smallest = std::min(smallest, m.size()), largest = std::max(largest, m.size());
    EXPECT_LE(largest - smallest, block) << "seed " << seed << ": parts more than a block apart";
    auto g = plan.members;
    std::sort(g.begin(), g.end());
    groupings.insert(std::move(g));
  }
  const double share = static_cast<double>(together) / static_cast<double>(pairs);
  EXPECT_GT(share, 0.2);
  EXPECT_LT(share, 0.3);
  EXPECT_EQ(groupings.size(), 20u) << "the same grouping of entities in two epochs";
}

TEST(EmbedPartition, AnEpochsRoundsTrainEveryBucketOnceOnDisjointParts) {
  for (int threads = 1; threads <= 6; ++threads) {
    int parts = 2 * threads;
    std::map<std::pair<int, int>, int> seen;
    for (int round = 0; round < parts - 1; ++round) {
      std::set<int> owned;
      for (int slot = 0; slot < threads; ++slot) {
        auto [a, b] = RoundPair(parts, round, slot);
        EXPECT_TRUE(owned.insert(a).second && owned.insert(b).second)
            << "round " << round << ": part owned by two threads";
        for (auto [x, y] : RoundBuckets(parts, round, slot)) {
          EXPECT_TRUE((x == a || x == b) && (y == a || y == b)) << "a bucket outside the thread's parts";
          ++seen[{x, y}];
        }
      }
      EXPECT_EQ(owned.size(), size_t(parts));
    }
    EXPECT_EQ(seen.size(), size_t(parts * parts)) << threads << " threads";
    for (auto& [bucket, n] : seen) EXPECT_EQ(n, 1) << bucket.first << "," << bucket.second;
  }
}

TEST(EmbedPartition, AutoPartitionsWhenEachPartHoldsEnoughEntities) {
  TrainOptions o;
  const size_t many = 100000000;
  EXPECT_FALSE(Partitioned(o, 1, 1000000, many));
  EXPECT_FALSE(Partitioned(o, 2, 4 * kPartitionMinPerPart - 1, many));
  EXPECT_TRUE(Partitioned(o, 2, 4 * kPartitionMinPerPart, many));
  EXPECT_TRUE(Partitioned(o, 2, 40943, 86835)) << "WN18RR with 2 threads";
  EXPECT_TRUE(Partitioned(o, 3, 40943, 86835)) << "3 threads: 15 lists of 5,789 triples";
  EXPECT_FALSE(Partitioned(o, 4, 40943, 86835)) << "4 threads: 28 lists of 3,101 triples";
  EXPECT_FALSE(Partitioned(o, 2, 40943, 6 * kPartitionMinPerList - 1)) << "lists too short";
  EXPECT_TRUE(Partitioned(o, 8, 40943, many)) << "16 parts of 2,559 entities";
  EXPECT_FALSE(Partitioned(o, 32, 40943, many)) << "parts of 640 entities";
  o.partition = Partition::kOn;
  EXPECT_TRUE(Partitioned(o, 2, 10, 10));
  EXPECT_FALSE(Partitioned(o, 1, 10, 10));
  EXPECT_FALSE(Partitioned(o, kPartitionMaxThreads + 1, many, many)) << "too many threads: hogwild";
  o.partition = Partition::kOff;
  EXPECT_FALSE(Partitioned(o, 4, 1000000, many));
  EXPECT_FALSE(ParsePartition("sometimes").ok());
  EXPECT_EQ(*ParsePartition("off"), Partition::kOff);
  o.threads = 8;
  EXPECT_EQ(ThreadsFor(o, 3), 3) << "no more threads than triples";
}

// The mode is a training option like the others: recorded in the checkpoint, kept on resume.
TEST(EmbedPartition, TheModeIsRecordedAndKeptOnResume) {
  Dataset ds;
  for (int i = 0; i < 50; ++i)
    ds.train.push_back({ds.entities.Intern("a" + std::to_string(i)), ds.relations.Intern("r"),
                        ds.entities.Intern("b" + std::to_string(i))});
  for (Partition mode : {Partition::kOn, Partition::kOff}) {
    ModelConfig mc;
    mc.name = "transe";
    mc.dim = 8;
    TrainOptions o;
    o.epochs = 1;
    o.threads = 2;
    o.partition = mode;
    auto ck = TrainModel(ds, mc, o, nullptr, nullptr);
    ASSERT_TRUE(ck.ok()) << ck.status().ToString();
    EXPECT_EQ(ck->info.at("partition"), PartitionName(mode));
    TrainOptions back;
    ASSERT_TRUE(RecordedOptions(*ck, &back).ok());
    EXPECT_EQ(back.partition, mode);
  }
}

// The run's last rate is that of its last update, whichever thread made it (it was 0 when the
// last slot's list of the last round was empty, as on this graph with 3 threads).
TEST(EmbedPartition, TheLastRateIsTheLastUpdatesOnATinyGraph) {
  Dataset ds;
  const char* rows[][3] = {{"a", "r", "b"}, {"b", "r", "c"}, {"c", "r", "d"},
                           {"d", "r", "a"}, {"a", "s", "c"}, {"b", "s", "d"}};
  for (auto& r : rows)
    ds.train.push_back({ds.entities.Intern(r[0]), ds.relations.Intern(r[1]), ds.entities.Intern(r[2])});
  for (int threads : {2, 3, 4, 6}) {
    ModelConfig mc;
    mc.name = "transe";
    mc.dim = 8;
    TrainOptions o;
    o.epochs = 2;
    o.threads = threads;
    o.partition = Partition::kOn;
    o.lr = 0.005f;
    TrainReport rep;
    ASSERT_TRUE(TrainModel(ds, mc, o, nullptr, &rep).ok());
    EXPECT_TRUE(rep.partitioned);
    EXPECT_EQ(rep.first_lr, 0.005f) << threads;
    EXPECT_EQ(rep.last_lr, 0.005f) << threads;
    o.linear_decay = true;
    ASSERT_TRUE(TrainModel(ds, mc, o, nullptr, &rep).ok());
    EXPECT_GT(rep.last_lr, 0.0f) << threads;
    EXPECT_LT(rep.last_lr, 0.005f * 0.5f) << threads << ": the second epoch's end decays below half";
  }
}

// TransR's large preset trains a TransE first: --partition applies to both.
TEST(EmbedPartition, TheModeAppliesToAWarmStartToo) {
  Dataset ds;
  for (int i = 0; i < 300; ++i)
    ds.train.push_back({ds.entities.Intern("a" + std::to_string(i)), ds.relations.Intern(i % 2 ? "r" : "s"),
                        ds.entities.Intern("b" + std::to_string(i * 7 % 300))});
  for (Partition mode : {Partition::kOn, Partition::kOff}) {
    auto preset = GetPreset("large", "transr", ds.num_entities());
    ASSERT_TRUE(preset.ok() && preset->warm_start);
    preset->model.dim = preset->model.relation_dim = 8;
    preset->warm_start->train.epochs = 1;
    preset->train.epochs = 1;
    preset->train.valid_every = 0;
    preset->train.threads = 2;
    preset->train.partition = mode;
    TrainReport rep, warm;
    auto ck = TrainPreset(ds, *preset, nullptr, nullptr, &rep, &warm);
    ASSERT_TRUE(ck.ok()) << ck.status().ToString();
    EXPECT_EQ(warm.epochs_run, 1) << "the warm start ran";
    EXPECT_EQ(warm.partitioned, mode == Partition::kOn);
    EXPECT_EQ(rep.partitioned, mode == Partition::kOn);
  }
}

// A round's list claimed by several threads at once: every triple in exactly one chunk, chunks
// of kChunk while much is left, then shorter ones down to kMinChunk (or the last few left), so
// the threads of a round finish close together.
TEST(EmbedPartition, ChunksCoverAListOnceAndShrinkTowardsItsEnd) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{1000}, size_t{100000}}) {
    for (int threads : {1, 2, 4}) {
      ChunkCursor cursor;
      std::vector<std::vector<std::pair<size_t, size_t>>> got(static_cast<size_t>(threads));
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          for (auto c = cursor.Claim(n, threads); c.second > 0; c = cursor.Claim(n, threads)) got[size_t(t)].push_back(c);
        });
      for (auto& th : pool) th.join();
      std::vector<int> seen(n);
      std::map<size_t, size_t> chunks;  // first -> size
      for (auto& v : got)
        for (auto [c, m] : v) {
          ASSERT_LE(c + m, n);
          chunks[c] = m;
          for (size_t i = c; i < c + m; ++i) ++seen[i];
        }
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "triple " << i << " of " << n << ", " << threads << " threads";
      for (auto [c, m] : chunks) {
        const size_t left = n - c;
        EXPECT_LE(m, ChunkCursor::kChunk);
        EXPECT_GE(m, std::min(left, ChunkCursor::kMinChunk)) << c;
        // A chunk is at most a quarter of what each thread would have of what is left.
        if (left > ChunkCursor::kMinChunk * 4 * size_t(threads)) {
          EXPECT_LE(m, left / (4 * size_t(threads))) << c;
        }
      }
      if (n == 100000) {
        EXPECT_EQ(chunks.begin()->second, ChunkCursor::kChunk);
        EXPECT_LE(chunks.rbegin()->second, ChunkCursor::kMinChunk);
      }
    }
  }
}

}  // namespace
}  // namespace kgp::embed
