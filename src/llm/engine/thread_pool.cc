#include "llm/engine/thread_pool.h"

#include <algorithm>

#include "common/threads.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define KGP_PAUSE() _mm_pause()
#else
#define KGP_PAUSE() std::this_thread::yield()
#endif

namespace kgp::llm {
namespace {
// Spin iterations before a worker sleeps: long enough to cover the gap between two matrix
// products of one token (~0.1-1 ms), short enough not to burn a core between requests.
constexpr int kSpin = 1 << 14;
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_ = n_threads;
  threads_.reserve(static_cast<size_t>(n_ - 1));
  try {
    for (int t = 1; t < n_; ++t) threads_.emplace_back([this, t] { Worker(t); });
  } catch (const std::exception& e) {  // std::system_error, or std::bad_alloc for a stack
    // The workers already started wait on cv_: stop and join them before the members go
    // (destroying cv_ under them hung the process forever).
    const int failed = static_cast<int>(threads_.size()) + 1;
    Stop();
    throw ThreadStartError(failed, n_, e);
  }
}

ThreadPool::~ThreadPool() { Stop(); }

void ThreadPool::Stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ThreadPool::Worker(int tid) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g;
    int spins = 0;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpin) {
        KGP_PAUSE();
      } else {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
    }
    seen = g;
    if (stop_.load()) return;
    (*fn_)(tid, n_);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::Run(const std::function<void(int, int)>& fn) {
  if (n_ == 1) {
    fn(0, 1);
    return;
  }
  fn_ = &fn;
  done_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  fn(0, n_);
  int spins = 0;
  while (done_.load(std::memory_order_acquire) != n_ - 1) {
    if (++spins < kSpin) {
      KGP_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
}

void SplitRange(int64_t n, int parts, int i, int64_t align, int64_t* b, int64_t* e) {
  int64_t units = (n + align - 1) / align;
  int64_t ub = units * i / parts, ue = units * (i + 1) / parts;
  *b = std::min(n, ub * align);
  *e = std::min(n, ue * align);
}

}  // namespace kgp::llm
