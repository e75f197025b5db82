#include "embed/relation_copies.h"

#include <algorithm>

namespace kgp::embed {

void RelationCopies::Init(float* shared, size_t rows, size_t width, std::mutex* lock, uint32_t merge_every) {
  shared_ = shared;
  width_ = width;
  lock_ = lock;
  merge_every_ = std::max<uint32_t>(1, merge_every);
  since_sweep_ = 0;
  loc_.assign(rows * width, 0.0f);
  base_.assign(rows * width, 0.0f);
  taken_.assign(rows, 0);
  count_.assign(rows, 0);
  dirty_.clear();
  dirty_.reserve(rows);
}

void RelationCopies::Merge(uint32_t r) {
  std::lock_guard<std::mutex> hold(*lock_);
  kernels::MergeDelta(shared_ + size_t{r} * width_, loc_.data() + size_t{r} * width_, base_.data() + size_t{r} * width_,
                      width_);
  count_[r] = 0;
}

void RelationCopies::Sweep() {
  std::lock_guard<std::mutex> hold(*lock_);
  for (uint32_t r : dirty_) {
    if (count_[r] > 0)
      kernels::MergeDelta(shared_ + size_t{r} * width_, loc_.data() + size_t{r} * width_,
                          base_.data() + size_t{r} * width_, width_);
    taken_[r] = 0;
    count_[r] = 0;
  }
  dirty_.clear();
  since_sweep_ = 0;
}

}  // namespace kgp::embed
