// GET / (the web page), /healthz (open), /metrics (Prometheus text; scope read).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "service/context.h"
#include "service/web_page.h"

namespace kgp::service {
namespace {

// Resident set of this process from /proc/self/statm (0 where unavailable).
uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long long size = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%llu %llu", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Memory gauges: the process's resident set and the two bounded caches in it (SQLite's page
// caches and heap, the GET-profile answer cache), so that growth outside them shows.
std::string MemoryGauges(Context& c) {
  return fmt::format(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
      "# HELP kgprofile_memory_bytes Memory held by parts of the server.\n"
      "# TYPE kgprofile_memory_bytes gauge\n"
      "kgprofile_memory_bytes{{part=\"sqlite\"}} {}\nkgprofile_memory_bytes{{part=\"answer_cache\"}} {}\n"
      "kgprofile_memory_bytes{{part=\"posted_events\"}} {}\nkgprofile_memory_bytes{{part=\"erasure_answers\"}} {}\n",
      ResidentBytes(), sqlite3_memory_used(), c.profile_cache ? c.profile_cache->bytes() : 0,
      c.live.posted_bytes(), c.erasure_jobs.bytes());
}

}  // namespace

void AddSystemRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "GET", "/healthz", "healthz", std::nullopt,
           [](Context& c, const httplib::Request&, httplib::Response& res, const Caller&) {
             SendJson(res, nlohmann::json{{"status", "ok"}, {"profiles", c.live.size()}});
           });
  AddRoute(svr, ctx, "GET", "/metrics", "metrics", Scope::kRead,
           [](Context& c, const httplib::Request&, httplib::Response& res, const Caller&) {
             res.set_content(c.metrics.Render() + MemoryGauges(c), "text/plain; version=0.0.4");
           });
  if (ctx.opts.serve_page) {
    AddRoute(svr, ctx, "GET", "/", "page", std::nullopt,
             [](Context&, const httplib::Request&, httplib::Response& res, const Caller&) {
               res.set_header("Content-Security-Policy", WebPageCsp());
               res.set_content(kWebPage, "text/html; charset=utf-8");
             });
  }
}

}  // namespace kgp::service
