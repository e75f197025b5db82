// User × item interaction matrix in CSR form: the common input of every recommendation model,
// online (built from a workspace's interaction edges) and offline (evaluation datasets).
// Rows keep the order they were given in (chronological where the source has one), so
// sequential models can read a row as the user's history. Immutable after construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kgp::rec {

struct UserItem {
  uint32_t user, item;
  float value = 1;     // implicit feedback: 1; ratings or counts otherwise
  int64_t ts = 0;      // 0 when the source has no time
};

class InteractionMatrix {
 public:
  InteractionMatrix() = default;
  // Groups by user, keeping each user's pairs in the given order (a stable sort on user when
  // `chronological` is false, on (user, ts) when true). Dimensions grow to fit the largest
  // id when num_users / num_items are smaller. Duplicate (user, item) pairs are kept: a
  // repeated purchase is a fact; models that want sets call Dedup().
  static InteractionMatrix FromPairs(std::vector<UserItem> pairs, uint32_t num_users,
                                     uint32_t num_items, bool chronological = false);

  uint32_t num_users() const { return num_users_; }
  uint32_t num_items() const { return num_items_; }
  size_t nnz() const { return items_.size(); }

  std::span<const uint32_t> Items(uint32_t user) const {
    return {items_.data() + offsets_[user], items_.data() + offsets_[user + 1]};
  }
  std::span<const float> Values(uint32_t user) const {
    return {values_.data() + offsets_[user], values_.data() + offsets_[user + 1]};
  }
  std::span<const int64_t> Times(uint32_t user) const {
    return {times_.data() + offsets_[user], times_.data() + offsets_[user + 1]};
  }
  size_t RowSize(uint32_t user) const { return offsets_[user + 1] - offsets_[user]; }

  // Same matrix with each row's items unique (first occurrence kept, values summed).
  InteractionMatrix Dedup() const;
  // Item × user matrix (rows ordered by user id).
  InteractionMatrix Transpose() const;
  // Number of interactions per item.
  std::vector<uint32_t> ItemCounts() const;

 private:
  uint32_t num_users_ = 0, num_items_ = 0;
  std::vector<uint64_t> offsets_{0};
  std::vector<uint32_t> items_;
  std::vector<float> values_;
  std::vector<int64_t> times_;
};

}  // namespace kgp::rec
