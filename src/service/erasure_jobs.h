// Erasure runs a client does not wait for (POST /v1/erasures with "async": true): each run's
// answer, receipts with their verification codes included, is kept in this server's memory
// (never on disk) for GET /v1/erasures/{job}, for kKeepSeconds after the run ends. A client or
// proxy that gives up on a long run then loses nothing: the users are erased either way, and the
// receipts wait. At most `max` runs are held at a time (waiting, running, or ended with an
// answer): an answer fetched at least once is dropped early when room is needed, one never
// fetched is not, and a run that finds no room is refused before anything is queued. Lost when
// the server stops. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "service/event_writer.h"

namespace kgp::service {

// The answer to a finished erasure run: {"erased", "not_erased", "results": [...]} (docs/api.md
// "POST /v1/erasures"), or the run's own error when it did not run.
Result<nlohmann::json> ErasureAnswer(const EventWriter::Erasures& run);

class ErasureJobs {
 public:
  static constexpr int64_t kKeepSeconds = 3600;

  void set_max(size_t max);  // before serving (ServerOptions::erasure_jobs)
  // Queues the run when there is room: calls `queue` with the callback the writer calls when the
  // run ends (EventWriter::Erase's on_end), and answers {"job", "status": "running", "ids",
  // "submitted"}; Aborted (503), with nothing queued, when `max` runs are held.
  using Queue = std::function<std::future<EventWriter::Erasures>(std::function<void()> on_end)>;
  Result<nlohmann::json> Start(size_t ids, const Queue& queue);
  // {"job", "status": "running" | "done" | "failed", "ids", "submitted", and when it ended
  // "finished" plus the answer's fields (done) or "error": {"code", "message"} (failed)}; nullopt
  // for an unknown or dropped job. fetch: the answer counts as fetched (a GET; not a HEAD).
  std::optional<nlohmann::json> Find(const std::string& id, bool fetch);
  size_t bytes();  // answers held, fetched or not (the /metrics gauge)

 private:
  struct Job {
    std::future<EventWriter::Erasures> run;  // valid until it ended
    size_t ids = 0;
    int64_t submitted = 0, finished = 0;     // Unix seconds; finished 0: not yet settled
    // When the writer ended the run (Unix seconds; 0: not yet), set from its thread.
    std::shared_ptr<std::atomic<int64_t>> ended = std::make_shared<std::atomic<int64_t>>(0);
    std::string answer;                      // once finished: the fields it adds, as JSON text
    bool fetched = false;                    // its answer was sent at least once
  };
  // Takes the run's result when it has ended (REQUIRES mu_).
  static void Settle(Job& j);
  void Prune();  // drops jobs ended more than kKeepSeconds ago (REQUIRES mu_)
  static nlohmann::json Snapshot(const std::string& id, const Job& j);

  std::mutex mu_;
  size_t max_ = 100;
  std::map<std::string, Job> jobs_;
};

}  // namespace kgp::service
