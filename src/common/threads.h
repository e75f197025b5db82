// Runs fn(0) … fn(n - 1) on n threads and waits for all; n <= 1 runs fn(0) on the caller's
// thread (deterministic single-threaded mode). An exception thrown by fn on any thread, or a
// thread that cannot start (a pids or memory limit), is rethrown on the caller's thread once
// every started thread has finished, as with n = 1: the process never aborts.
#pragma once

#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace kgp {

// The error for thread t (0-based) of n that could not start: names the cause and -j.
inline std::runtime_error ThreadStartError(int t, int n, const std::exception& e) {
  return std::runtime_error("cannot start thread " + std::to_string(t + 1) + " of " + std::to_string(n) + " (" +
                            e.what() + "): use fewer threads (-j)");
}

// As RunThreads(n, fn), and when thread t cannot start (nor, then, those after it),
// not_started(n - t) is called on the caller's thread before it waits for the others: threads
// that meet at a barrier drop the missing ones from it there (std::barrier::arrive_and_drop).
template <class Fn, class NotStarted>
void RunThreads(int n, Fn&& fn, NotStarted&& not_started) {
  if (n <= 1) {
    fn(0);
    return;
  }
  std::exception_ptr first;
  std::mutex mu;
  auto keep = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!first) first = std::move(e);
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) {
    try {
      pool.emplace_back([&fn, &keep, t] {
        try {
          fn(t);
        } catch (...) {
          keep(std::current_exception());
        }
      });
    } catch (const std::exception& e) {  // std::system_error, or std::bad_alloc for its stack
      try {
        keep(std::make_exception_ptr(ThreadStartError(t, n, e)));
      } catch (...) {  // no memory left for the message: the error is the allocation's
        keep(std::current_exception());
      }
      not_started(n - t);
      break;
    }
  }
  for (auto& th : pool) th.join();
  if (first) std::rethrow_exception(first);
}

template <class Fn>
void RunThreads(int n, Fn&& fn) {
  RunThreads(n, std::forward<Fn>(fn), [](int) {});
}

}  // namespace kgp
