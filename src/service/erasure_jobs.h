// Erasure runs a client does not wait for (POST /v1/erasures with "async": true): each run's
// answer, receipts with their one-time verification codes included, is kept in this server's
// memory (never on disk) for kKeepSeconds after it ends, for GET /v1/erasures/{job}. A client
// or proxy that gives up on a long run then loses nothing: the users are erased either way, and
// the receipts wait. Lost when the server stops. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
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
  static constexpr size_t kMaxJobs = 100;  // runs waiting, running or kept

  // The run's job id (24 hex digits); Aborted (503) when kMaxJobs runs are still waiting or
  // running.
  Result<std::string> Add(std::future<EventWriter::Erasures> run, size_t ids);
  // {"job", "status": "running" | "done" | "failed", "ids", "submitted", and when it ended
  // "finished" plus the answer's fields (done) or "error": {"code", "message"} (failed)}; nullopt
  // for an unknown or expired job.
  std::optional<nlohmann::json> Find(const std::string& id);

 private:
  struct Job {
    std::future<EventWriter::Erasures> run;  // valid until it ended
    size_t ids = 0;
    int64_t submitted = 0, finished = 0;     // Unix seconds; finished 0: not yet
    nlohmann::json answer;                   // once finished: the fields it adds
  };
  // Takes the run's result when it has ended (REQUIRES mu_).
  static void Settle(Job& j);
  void Prune();  // drops jobs ended more than kKeepSeconds ago (REQUIRES mu_)

  std::mutex mu_;
  std::map<std::string, Job> jobs_;
};

}  // namespace kgp::service
