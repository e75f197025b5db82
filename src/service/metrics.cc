#include "service/metrics.h"

#include <fmt/format.h>

namespace kgp::service {
namespace {
size_t StatusClass(int status) {  // 1…5; anything else counts as 5xx
  const int cls = status / 100;
  return cls >= 1 && cls <= 5 ? static_cast<size_t>(cls) : 5;
}
}  // namespace

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Histogram::Write(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cum = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cum += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cum);
  }
  cum += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cum);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += fmt::format("{}_count{} {}\n", name, braces, count_.load(std::memory_order_relaxed));
}

double Histogram::Quantile(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  const auto want = static_cast<uint64_t>(q * static_cast<double>(n) + 0.5);
  uint64_t cum = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cum += buckets_[i].load(std::memory_order_relaxed);
    if (cum >= want) return kBounds[i];
  }
  return kBounds.back();
}

void Metrics::AddRoute(const std::string& name) { routes_.emplace(name, std::make_unique<Route>()); }

void Metrics::Observe(const std::string& route, int status, double seconds) {
  auto it = routes_.find(route);
  Route& r = it == routes_.end() ? other_ : *it->second;
  r.by_class[StatusClass(status)].fetch_add(1, std::memory_order_relaxed);
  r.latency.Observe(seconds);
}

void Metrics::CountUnrouted(int status) {
  other_.by_class[StatusClass(status)].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render() const {
  std::string out;
  out += "# HELP kgprofile_http_requests_total HTTP requests by route and status class.\n";
  out += "# TYPE kgprofile_http_requests_total counter\n";
  auto each = [&](auto&& fn) {
    for (const auto& [name, r] : routes_) fn(name, *r);
    fn(std::string("other"), other_);
  };
  each([&](const std::string& name, const Route& r) {
    for (size_t c = 1; c <= 5; ++c) {
      const uint64_t v = r.by_class[c].load(std::memory_order_relaxed);
      if (v) out += fmt::format("kgprofile_http_requests_total{{route=\"{}\",code=\"{}xx\"}} {}\n", name, c, v);
    }
  });
  out += "# HELP kgprofile_http_request_duration_seconds Time from request parsed to response written, by route.\n";
  out += "# TYPE kgprofile_http_request_duration_seconds histogram\n";
  each([&](const std::string& name, const Route& r) {
    if (r.latency.count()) r.latency.Write(out, "kgprofile_http_request_duration_seconds", fmt::format("route=\"{}\"", name));
  });
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v);
  };
  counter("kgprofile_events_ingested_total", "Events stored and applied to profiles.", events_accepted.load());
  counter("kgprofile_events_duplicate_total", "Events already stored (same event key), not applied again.",
          events_duplicate.load());
  counter("kgprofile_events_rejected_total", "Events refused: every event of a batch refused as invalid (400) or too large (413).", events_rejected.load());
  counter("kgprofile_writer_batches_total", "Writer transactions committed.", batches.load());
  counter("kgprofile_writer_merges_total", "Moves of staged events into the events table.", merges.load());
  out += fmt::format("# HELP kgprofile_writer_queue_depth Requests waiting for the writer.\n"
                     "# TYPE kgprofile_writer_queue_depth gauge\nkgprofile_writer_queue_depth {}\n",
                     queue_depth.load());
  out += fmt::format("# HELP kgprofile_profile_as_of_seconds Latest event time applied to the profiles.\n"
                     "# TYPE kgprofile_profile_as_of_seconds gauge\nkgprofile_profile_as_of_seconds {}\n",
                     profile_as_of.load());
  out += "# HELP kgprofile_profile_update_lag_seconds Event request received to its profile update readable.\n"
         "# TYPE kgprofile_profile_update_lag_seconds histogram\n";
  update_lag.Write(out, "kgprofile_profile_update_lag_seconds", "");
  out += "# HELP kgprofile_writer_commit_seconds One writer transaction (durable commit included).\n"
         "# TYPE kgprofile_writer_commit_seconds histogram\n";
  batch_commit.Write(out, "kgprofile_writer_commit_seconds", "");
  return out;
}

}  // namespace kgp::service
