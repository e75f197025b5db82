#include "recommend/interactions.h"

#include <algorithm>
#include <unordered_map>

namespace kgp::rec {

InteractionMatrix InteractionMatrix::FromPairs(std::vector<UserItem> pairs, uint32_t num_users,
                                               uint32_t num_items, bool chronological) {
  InteractionMatrix m;
  for (const auto& p : pairs) {
    num_users = std::max(num_users, p.user + 1);
    num_items = std::max(num_items, p.item + 1);
  }
  if (chronological) {
    std::stable_sort(pairs.begin(), pairs.end(), [](const UserItem& a, const UserItem& b) {
      return a.user != b.user ? a.user < b.user : a.ts < b.ts;
    });
  } else {
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const UserItem& a, const UserItem& b) { return a.user < b.user; });
  }
  m.num_users_ = num_users;
  m.num_items_ = num_items;
  m.offsets_.assign(static_cast<size_t>(num_users) + 1, 0);
  m.items_.reserve(pairs.size());
  m.values_.reserve(pairs.size());
  m.times_.reserve(pairs.size());
  for (const auto& p : pairs) {
    ++m.offsets_[p.user + 1];
    m.items_.push_back(p.item);
    m.values_.push_back(p.value);
    m.times_.push_back(p.ts);
  }
  for (size_t u = 0; u < num_users; ++u) m.offsets_[u + 1] += m.offsets_[u];
  return m;
}

InteractionMatrix InteractionMatrix::Dedup() const {
  InteractionMatrix m;
  m.num_users_ = num_users_;
  m.num_items_ = num_items_;
  m.offsets_.assign(static_cast<size_t>(num_users_) + 1, 0);
  m.items_.reserve(items_.size());
  m.values_.reserve(items_.size());
  m.times_.reserve(items_.size());
  std::unordered_map<uint32_t, size_t> seen;
  for (uint32_t u = 0; u < num_users_; ++u) {
    seen.clear();
    for (uint64_t i = offsets_[u]; i < offsets_[u + 1]; ++i) {
      auto [it, fresh] = seen.try_emplace(items_[i], m.items_.size());
      if (fresh) {
        m.items_.push_back(items_[i]);
        m.values_.push_back(values_[i]);
        m.times_.push_back(times_[i]);
      } else {
        m.values_[it->second] += values_[i];
      }
    }
    m.offsets_[u + 1] = m.items_.size();
  }
  return m;
}

InteractionMatrix InteractionMatrix::Transpose() const {
  InteractionMatrix t;
  t.num_users_ = num_items_;
  t.num_items_ = num_users_;
  t.offsets_.assign(static_cast<size_t>(num_items_) + 1, 0);
  for (uint32_t item : items_) ++t.offsets_[item + 1];
  for (size_t i = 0; i < num_items_; ++i) t.offsets_[i + 1] += t.offsets_[i];
  t.items_.resize(items_.size());
  t.values_.resize(items_.size());
  t.times_.resize(items_.size());
  std::vector<uint64_t> pos(t.offsets_.begin(), t.offsets_.end() - 1);
  for (uint32_t u = 0; u < num_users_; ++u) {
    for (uint64_t i = offsets_[u]; i < offsets_[u + 1]; ++i) {
      uint64_t at = pos[items_[i]]++;
      t.items_[at] = u;
      t.values_[at] = values_[i];
      t.times_[at] = times_[i];
    }
  }
  return t;
}

std::vector<uint32_t> InteractionMatrix::ItemCounts() const {
  std::vector<uint32_t> counts(num_items_, 0);
  for (uint32_t item : items_) ++counts[item];
  return counts;
}

}  // namespace kgp::rec
