// Sparse item × item weights shared by the neighbourhood models (ItemKNN, RP3beta): one
// co-occurrence sweep over the users, a per-pair weight, the top-k entries of each row kept.
// Scoring a user sums the rows of the items in the history.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "recommend/interactions.h"

namespace kgp::rec {

// CSR rows: row i holds the neighbours j of item i and weight(i → j).
struct SparseItemRows {
  uint32_t num_items = 0;
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> cols;
  std::vector<float> vals;

  size_t nnz() const { return cols.size(); }
  // out[j] += scale * weight(i → j) for every neighbour j of i.
  void AddRow(uint32_t i, float scale, std::span<float> out) const {
    if (i >= num_items) return;
    for (uint64_t p = offsets[i]; p < offsets[i + 1]; ++p) out[cols[p]] += scale * vals[p];
  }
};

struct ItemGraphOptions {
  int top_k = 100;          // neighbours kept per row (<= 0: all)
  bool normalize_rows = false;  // scale each kept row to sum 1
  int threads = 2;
};

// For every item i and every co-occurring item j != i, acc(i, j) = sum over users u who have
// both of user_weight[u]; the kept value is weight(i, j, acc) (entries <= 0 dropped).
// REQUIRES: user_items has unique items per row; item_users is its transpose.
SparseItemRows BuildItemGraph(const InteractionMatrix& user_items, const InteractionMatrix& item_users,
                              std::span<const float> user_weight,
                              const std::function<float(uint32_t i, uint32_t j, float acc)>& weight,
                              const ItemGraphOptions& opts);

}  // namespace kgp::rec
