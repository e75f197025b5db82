#include "embed/partition.h"

#include <algorithm>

#include "common/rng.h"

namespace kgp::embed {

uint32_t PartitionBlock(size_t num_entities, int parts) {
  return static_cast<uint32_t>(std::clamp<size_t>(num_entities / (static_cast<size_t>(parts) * 64), 1, 64));
}

EpochPlan PlanEpoch(const std::vector<Triple>& order, size_t num_entities, int threads, uint64_t seed) {
  EpochPlan plan;
  plan.threads = threads;
  plan.parts = 2 * threads;
  plan.rounds = plan.parts - 1;
  const size_t P = static_cast<size_t>(plan.parts);
  const uint32_t block = PartitionBlock(num_entities, plan.parts);
  std::vector<uint16_t> part(num_entities);
  plan.members.resize(P);
  // The blocks in an order drawn from the seed (which is the epoch's), dealt to the parts in turn:
  // every part gets the same number of blocks (one more for some), and which blocks share a part
  // changes from epoch to epoch. (A hash of seed and block taken modulo the parts gave, with a
  // power-of-two count of parts, the same grouping every epoch, relabelled.)
  const size_t blocks = (num_entities + block - 1) / block;
  std::vector<uint32_t> dealt(blocks);
  for (size_t b = 0; b < blocks; ++b) dealt[b] = static_cast<uint32_t>(b);
  Rng rng(seed);
  for (size_t i = blocks; i > 1; --i) std::swap(dealt[i - 1], dealt[rng.Below(static_cast<uint64_t>(i))]);
  std::vector<uint16_t> part_of_block(blocks);
  for (size_t i = 0; i < blocks; ++i) part_of_block[dealt[i]] = static_cast<uint16_t>(i % P);
  for (size_t b = 0; b < blocks; ++b) {
    const uint16_t p = part_of_block[b];
    for (size_t e = b * block; e < std::min<size_t>(num_entities, (b + 1) * block); ++e) {
      part[e] = p;
      plan.members[p].push_back(static_cast<uint32_t>(e));
    }
  }
  // The list each bucket goes to.
  std::vector<uint32_t> list_of(P * P);
  for (int round = 0; round < plan.rounds; ++round)
    for (int slot = 0; slot < threads; ++slot)
      for (auto [a, b] : RoundBuckets(plan.parts, round, slot))
        list_of[size_t(a) * P + size_t(b)] = static_cast<uint32_t>(round * threads + slot);
  std::vector<uint32_t> list(order.size());
  plan.start.assign(size_t(plan.rounds) * size_t(threads) + 1, 0);
  for (size_t i = 0; i < order.size(); ++i) {
    list[i] = list_of[size_t{part[order[i].h]} * P + part[order[i].t]];
    ++plan.start[list[i] + 1];
  }
  for (size_t i = 1; i < plan.start.size(); ++i) plan.start[i] += plan.start[i - 1];
  std::vector<size_t> next(plan.start.begin(), plan.start.end() - 1);
  plan.triples.resize(order.size());
  for (size_t i = 0; i < order.size(); ++i) plan.triples[next[list[i]]++] = order[i];
  return plan;
}

std::vector<uint32_t> EpochPlan::Pool(int round, int slot) const {
  auto [a, b] = RoundPair(parts, round, slot);
  std::vector<uint32_t> pool = members[size_t(a)];
  pool.insert(pool.end(), members[size_t(b)].begin(), members[size_t(b)].end());
  return pool;
}

std::pair<int, int> RoundPair(int parts, int round, int slot) {
  // Circle method: part 0 stays, the others rotate one place per round.
  auto at = [&](int i) { return i == 0 ? 0 : 1 + (i - 1 + round) % (parts - 1); };
  return {at(slot), at(parts - 1 - slot)};
}

std::vector<std::pair<int, int>> RoundBuckets(int parts, int round, int slot) {
  auto [a, b] = RoundPair(parts, round, slot);
  std::vector<std::pair<int, int>> out{{a, b}, {b, a}};
  if (round == 0) out.insert(out.end(), {{a, a}, {b, b}});
  return out;
}

}  // namespace kgp::embed
