// Runs fn(0) … fn(n - 1) on n threads and waits for all; n <= 1 runs fn(0) on the caller's
// thread (deterministic single-threaded mode).
#pragma once

#include <thread>
#include <vector>

namespace kgp {

template <class Fn>
void RunThreads(int n, Fn&& fn) {
  if (n <= 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) pool.emplace_back([&fn, t] { fn(t); });
  for (auto& th : pool) th.join();
}

}  // namespace kgp
