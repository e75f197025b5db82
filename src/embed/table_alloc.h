// Allocator for the embedding and optimizer tables: large tables are 2 MiB aligned and
// advised as transparent huge pages, so that random row access (every training step touches
// a few random rows) does not miss the TLB on every row.
#pragma once

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <vector>

namespace kgp::embed {

template <class T>
struct TableAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t{2} << 20;
  TableAllocator() = default;
  template <class U>
  TableAllocator(const TableAllocator<U>&) {}  // NOLINT: allocator rebinding
  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      void* p = std::malloc(bytes ? bytes : 1);
      if (!p) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
    size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const TableAllocator<U>&) const { return true; }
};

using FloatTable = std::vector<float, TableAllocator<float>>;

}  // namespace kgp::embed
