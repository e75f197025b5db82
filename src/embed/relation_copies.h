// Per-thread copies of the relation rows, for partitioned epochs (embed/trainer.cc). A relation's
// row is written by nearly every positive and would otherwise move between cores on every
// update; instead each thread trains its own copy (loc, and base: the shared row as last taken
// or merged) and adds its change (loc - base) to the shared row under a lock: a copy after
// merge_every updates of its own (and is then refreshed), every copy at least every kSweep
// positives (Tick) and at a round's end (Sweep). The sum of every thread's changes reaches the
// shared rows exactly once, whatever the interleaving. A copy is taken from the shared row
// without the lock, as hogwild reads, so a merge running meanwhile may be half seen; base records
// what was read, so no merged change is lost or counted twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "embed/kernels.h"

namespace kgp::embed {

class RelationCopies {
 public:
  static constexpr size_t kSweep = 1024;

  // shared: rows x width floats, written only through copies (and merges) while this is active.
  void Init(float* shared, size_t rows, size_t width, std::mutex* lock, uint32_t merge_every);
  bool active() const { return !loc_.empty(); }

  // The copy of row r to read and write (taken from the shared row on first use since a sweep).
  float* Row(uint32_t r) {
    float* mine = loc_.data() + size_t{r} * width_;
    if (!taken_[r]) {
      kernels::CopyRow(shared_ + size_t{r} * width_, mine, base_.data() + size_t{r} * width_, width_);
      taken_[r] = 1;
      dirty_.push_back(r);  // reserved: never allocates
    }
    return mine;
  }
  // After an update of row r's copy.
  void Updated(uint32_t r) {
    if (++count_[r] >= merge_every_) Merge(r);
  }
  // Before each positive: sweeps every kSweep of them.
  void Tick() {
    if (++since_sweep_ >= kSweep) Sweep();
  }
  // Merges every copy updated since its last merge and lets all go (each is taken afresh).
  void Sweep();

 private:
  void Merge(uint32_t r);  // merges row r's copy, which then holds the merged row

  float* shared_ = nullptr;
  size_t width_ = 0;
  std::mutex* lock_ = nullptr;
  uint32_t merge_every_ = 1;
  size_t since_sweep_ = 0;
  std::vector<float> loc_, base_;
  std::vector<uint32_t> dirty_;  // rows taken since the last sweep
  std::vector<char> taken_;
  std::vector<uint32_t> count_;  // updates of the copy since its last merge
};

}  // namespace kgp::embed
