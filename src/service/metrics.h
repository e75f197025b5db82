// Service metrics in the Prometheus text format (GET /metrics, docs/api.md "Metrics"):
// requests and latency histograms per route, events ingested / repeated / rejected, the
// writer's queue depth and the profile update lag (request received → profile readable).
// Routes are registered before serving; afterwards every call is lock-free (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace kgp::service {

// Cumulative histogram with fixed buckets (seconds), 100 µs … 10 s.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};
  void Observe(double seconds);
  // Appends name_bucket{labels,le=…}, name_sum, name_count lines.
  void Write(std::string& out, const std::string& name, const std::string& labels) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Upper bound of the bucket holding the q-quantile (0 when empty).
  double Quantile(double q) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0}, sum_ns_{0};
};

class Metrics {
 public:
  struct Route {
    std::array<std::atomic<uint64_t>, 6> by_class{};  // status / 100: 0 unused, 1xx … 5xx
    Histogram latency;
  };
  // REQUIRES: before the server starts (the route table is then read without a lock).
  void AddRoute(const std::string& name);
  // Unknown names count under "other".
  void Observe(const std::string& route, int status, double seconds);
  // A request no route served (404, 405, a malformed request): counted under "other", its
  // duration not observed.
  void CountUnrouted(int status);

  // events_rejected: every event of a refused batch (invalid: 400; too large: 413), not problems.
  std::atomic<uint64_t> events_accepted{0}, events_duplicate{0}, events_rejected{0}, batches{0}, merges{0};
  std::atomic<int64_t> queue_depth{0};
  std::atomic<int64_t> profile_as_of{0};
  Histogram update_lag;  // request received → its events readable
  Histogram batch_commit;  // one writer transaction, fsync included

  std::string Render() const;

 private:
  std::map<std::string, std::unique_ptr<Route>> routes_;
  Route other_;
};

}  // namespace kgp::service
