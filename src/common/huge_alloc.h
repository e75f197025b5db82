// Memory placement for large, randomly accessed data. HugePageAllocator: for tables read at
// random (embedding and optimizer tables, the profile stage's per-user states), allocations of
// 2 MiB or more are 2 MiB aligned and advised as transparent huge pages, so that random row
// access does not miss the TLB on every row. TuneMallocForBulkWork: glibc heap settings.
#pragma once

#include <malloc.h>
#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <vector>

namespace kgp {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t{2} << 20;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator rebinding
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
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

// glibc's default trims a thread arena's heap as soon as its free top passes 128 KiB and then
// grows it back a page (one mprotect) at a time: a batch that builds and frees millions of
// small vectors spends more time in the kernel than in its own code (profile build of 1 M
// users, 20 M events: 14.6 of 24.5 CPU seconds). Called once at start by the CLI and the
// benchmarks: freed memory up to 256 MiB stays with the process, heaps grow 64 MiB at a time.
inline void TuneMallocForBulkWork() {
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
}

}  // namespace kgp
