// A fixed pool of worker threads for the engine's parallel loops. A transformer step runs a few
// hundred short parallel regions per token, so starting threads each time (common/threads.h)
// would cost more than the work; workers here spin briefly between regions and then sleep on a
// condition variable (llama.cpp's ggml threadpool does the same).
// Thread safety: Run may be called from one thread at a time (the model's owner).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kgp::llm {

class ThreadPool {
 public:
  // n_threads <= 0: the number of hardware threads. A thread that cannot start (a pids or
  // memory limit) stops the ones started and throws std::runtime_error (common/threads.h's
  // ThreadStartError).
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }
  // Runs fn(tid, size()) once on every thread (the caller is tid 0) and returns when all are
  // done. fn must not throw.
  void Run(const std::function<void(int, int)>& fn);

 private:
  void Worker(int tid);
  void Stop();  // wakes, ends and joins the workers

  int n_ = 1;
  std::vector<std::thread> threads_;
  const std::function<void(int, int)>* fn_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

// Splits [0, n) into `parts` nearly equal ranges aligned to `align`; range i is [*b, *e).
void SplitRange(int64_t n, int parts, int i, int64_t align, int64_t* b, int64_t* e);

}  // namespace kgp::llm
