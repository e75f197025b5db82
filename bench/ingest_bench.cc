// Ingest benchmark (make bench): a REES46 file parsed into the in-memory graph, and persisted
// into a workspace, against sqlite3's own `.import` of the same file as the baseline. Each
// measurement runs in a forked child so that peak memory (wait4 ru_maxrss) is its own.
// Prints medians over --runs, per-chunk latency percentiles and peak memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/string_map.h"
#include "common/time.h"
#include "graph/interactions.h"
#include "ingest/ingest.h"
#include "ingest/readers.h"
#include "store/workspace.h"

namespace kgp {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Parser → graph without the store: interns ids to dense integers and aggregates interactions.
class GraphSink : public RecordSink {
 public:
  void OnEvent(const EventRecord& e) override {
    uint32_t u = Intern(users_, e.user), i = Intern(items_, e.item);
    agg_.Add(u, i, e.type, e.ts, e.value);
    if (++n_ % kChunk == 0) {
      auto now = Clock::now();
      chunk_ms_.push_back(std::chrono::duration<double, std::milli>(now - last_).count());
      last_ = now;
    }
  }
  static constexpr uint64_t kChunk = 100000;
  uint64_t n_ = 0;
  std::vector<double> chunk_ms_;
  Clock::time_point last_ = Clock::now();
  InteractionAggregator agg_;
  StringMap<uint32_t> users_, items_;

 private:
  static uint32_t Intern(StringMap<uint32_t>& m, std::string_view k) {
    if (const uint32_t* v = m.Find(k)) return *v;
    return m.Insert(k, static_cast<uint32_t>(m.size()));
  }
};

struct Measure {
  double seconds = 0;
  uint64_t events = 0;
  long max_rss_kb = 0;
  double p50_ms = 0, p99_ms = 0;  // per 100k-event chunk
  uint64_t edges = 0;
};

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Runs fn in a child; the child writes its Measure through a pipe.
template <typename Fn>
Measure InChild(Fn fn) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Measure m = fn();
    if (write(fds[1], &m, sizeof m) != sizeof m) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  Measure m;
  ssize_t got = read(fds[0], &m, sizeof m);
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (got != sizeof m || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "benchmark child failed\n");
    std::exit(1);
  }
  m.max_rss_kb = ru.ru_maxrss;
  return m;
}

Measure ParseIntoGraph(const std::string& file) {
  return InChild([&] {
    auto t0 = Clock::now();
    GraphSink sink;
    // About 130 bytes per REES46 row: reserving avoids regrowing a 10^7-element vector.
    sink.agg_.Reserve(fs::file_size(file) / 120);
    ReaderOptions o;
    Status s = ReadFormat("rees46", file, o, sink);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    auto edges = sink.agg_.Finish();
    Measure m;
    m.seconds = SecondsSince(t0);
    m.events = sink.n_;
    m.edges = edges.size();
    m.p50_ms = Pct(sink.chunk_ms_, 0.5);
    m.p99_ms = Pct(sink.chunk_ms_, 0.99);
    return m;
  });
}

Measure Persist(const std::string& file, const std::string& dir) {
  fs::remove_all(dir);
  return InChild([&] {
    auto t0 = Clock::now();
    auto ws = Workspace::Init(dir, {});
    if (!ws.ok()) std::exit(1);
    IngestOptions o;
    o.format = "rees46";
    auto r = Ingest(**ws, file, o);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    Measure m;
    m.seconds = SecondsSince(t0);
    m.events = (*r)[0].counts.events_new;
    return m;
  });
}

Measure SqliteImport(const std::string& file, const std::string& dir, uint64_t events) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string db = dir + "/import.db";
  std::string cmd = fmt::format(
      "sqlite3 '{}' -cmd 'PRAGMA journal_mode=WAL' -cmd 'PRAGMA synchronous=NORMAL' "
      "-cmd '.mode csv' '.import {} events' >/dev/null", db, file);
  auto t0 = Clock::now();
  int rc = std::system(cmd.c_str());
  Measure m;
  m.seconds = SecondsSince(t0);
  // A failed import is no baseline: a rate of 0 would print "persist / baseline" as inf.
  if (rc != 0) {
    std::fprintf(stderr, "sqlite3 .import failed (%s %d): no baseline to compare with\n",
                 WIFEXITED(rc) ? "exit status" : "status", WIFEXITED(rc) ? WEXITSTATUS(rc) : rc);
    std::exit(1);
  }
  m.events = events;
  struct rusage ru {};
  getrusage(RUSAGE_CHILDREN, &ru);
  m.max_rss_kb = ru.ru_maxrss;
  return m;
}

double Median(std::vector<double> v) { return Pct(std::move(v), 0.5); }

}  // namespace
}  // namespace kgp

int main(int argc, char** argv) {
  using namespace kgp;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s EVENTS.csv [RUNS] [WORKDIR]\n", argv[0]);
    return 2;
  }
  std::string file = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  std::string work = argc > 3 ? argv[3] : "/tmp/kgprofile-bench";
  Progress::SetEnabled(false);
  // The baseline needs the sqlite3 shell: say so before minutes of parse and persist runs.
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "sqlite3 not found: the baseline (sqlite3's .import) needs it: apt-get install sqlite3 "
                         "(or: bash scripts/install-deps.sh bench)\n");
    return 1;
  }
  double mb = fs::file_size(file) / 1e6;
  std::printf("input: %s (%.0f MB), %d runs each, medians reported\n\n", file.c_str(), mb, runs);

  std::vector<double> parse_rate, parse_p50, parse_p99, parse_bpe, persist_rate, import_rate;
  uint64_t events = 0, edges = 0;
  for (int r = 0; r < runs; ++r) {
    Measure m = ParseIntoGraph(file);
    events = m.events;
    edges = m.edges;
    parse_rate.push_back(m.events / m.seconds);
    parse_p50.push_back(m.p50_ms);
    parse_p99.push_back(m.p99_ms);
    parse_bpe.push_back(m.max_rss_kb * 1024.0 / m.events);
    std::fprintf(stderr, "  parse+graph run %d: %.2fs, %.0f events/s, peak %ld MiB\n", r + 1, m.seconds,
                 m.events / m.seconds, m.max_rss_kb / 1024);
  }
  for (int r = 0; r < runs; ++r) {
    Measure m = Persist(file, work + "/ws");
    persist_rate.push_back(m.events / m.seconds);
    std::fprintf(stderr, "  persist run %d: %.2fs, %.0f events/s\n", r + 1, m.seconds, m.events / m.seconds);
  }
  for (int r = 0; r < runs; ++r) {
    Measure m = SqliteImport(file, work + "/sqlite", events);
    import_rate.push_back(m.events / m.seconds);
    std::fprintf(stderr, "  sqlite3 .import run %d: %.2fs, %.0f rows/s\n", r + 1, m.seconds, m.events / m.seconds);
  }
  std::printf("%-44s %14s\n", "measure (median)", "value");
  std::printf("%-44s %14llu\n", "events", static_cast<unsigned long long>(events));
  std::printf("%-44s %14llu\n", "interaction edges", static_cast<unsigned long long>(edges));
  std::printf("%-44s %14.0f\n", "parse+graph events/s (1 core)", Median(parse_rate));
  std::printf("%-44s %14.1f\n", "parse+graph latency per 100k events p50 ms", Median(parse_p50));
  std::printf("%-44s %14.1f\n", "parse+graph latency per 100k events p99 ms", Median(parse_p99));
  std::printf("%-44s %14.1f\n", "parse+graph peak memory bytes/event", Median(parse_bpe));
  std::printf("%-44s %14.0f\n", "persisted to SQLite events/s", Median(persist_rate));
  std::printf("%-44s %14.0f\n", "baseline: sqlite3 .import rows/s", Median(import_rate));
  std::printf("%-44s %14.2f\n", "persist / baseline", Median(persist_rate) / Median(import_rate));
  std::printf("\ngoals: parse+graph >= 1,000,000/s; persist >= 300,000/s; <= 100 bytes/event\n");
  return 0;
}
