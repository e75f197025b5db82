#include "service/erasure_jobs.h"

#include <fmt/format.h>

#include "common/time.h"
#include "privacy/pseudonym.h"

namespace kgp::service {

Result<nlohmann::json> ErasureAnswer(const EventWriter::Erasures& run) {
  if (!run.ok()) return run.status();
  nlohmann::json results = nlohmann::json::array();
  std::map<std::string, size_t> first;  // receipt → index of the first id it answered
  size_t erased = 0, not_erased = 0;
  for (size_t i = 0; i < run->size(); ++i) {
    const auto& one = run.value()[i];
    nlohmann::json e = {{"index", i}};
    if (!one.ok()) {
      ++not_erased;
      const bool missing = one.status().code() == Status::Code::kNotFound;
      e["error"] = {{"code", missing ? "not_found" : "invalid_argument"},
                    {"message", missing ? std::string("no such user") : one.status().message()}};
    } else if (auto [it, fresh] = first.emplace(one->id, i); !fresh) {
      e["same_user_as"] = it->second;  // one user named twice: one erasure, one receipt
    } else {
      ++erased;
      e["receipt"] = one->Json();
    }
    results.push_back(std::move(e));
  }
  return nlohmann::json{{"erased", erased}, {"not_erased", not_erased}, {"results", results}};
}

Result<std::string> ErasureJobs::Add(std::future<EventWriter::Erasures> run, size_t ids) {
  std::lock_guard lock(mu_);
  Prune();
  size_t open = 0;
  for (auto& [id, j] : jobs_) open += j.finished == 0;
  if (open >= kMaxJobs)
    return Status::Aborted(fmt::format("{} erasure runs are waiting or running: send this list when one has ended", open));
  // Evicted early only when the kept ones fill the table: the oldest ended first.
  while (jobs_.size() >= kMaxJobs) {
    auto oldest = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->second.finished && (oldest == jobs_.end() || it->second.finished < oldest->second.finished)) oldest = it;
    jobs_.erase(oldest);
  }
  const std::string id = privacy::NewKeyHex().substr(0, 24);
  Job& j = jobs_[id];
  j.run = std::move(run);
  j.ids = ids;
  j.submitted = UnixNow();
  return id;
}

void ErasureJobs::Settle(Job& j) {
  if (j.finished || j.run.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  const EventWriter::Erasures run = j.run.get();
  j.finished = UnixNow();
  auto answer = ErasureAnswer(run);
  if (answer.ok()) {
    j.answer = std::move(*answer);
    j.answer["status"] = "done";
  } else {
    const bool busy = answer.status().code() == Status::Code::kAborted;
    j.answer = {{"status", "failed"},
                {"error", {{"code", busy ? "unavailable" : "internal"}, {"message", answer.status().message()}}}};
  }
}

void ErasureJobs::Prune() {
  const int64_t now = UnixNow();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Settle(it->second);
    if (it->second.finished && now - it->second.finished > kKeepSeconds) it = jobs_.erase(it);
    else ++it;
  }
}

std::optional<nlohmann::json> ErasureJobs::Find(const std::string& id) {
  std::lock_guard lock(mu_);
  Prune();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  const Job& j = it->second;
  nlohmann::json out = {{"job", id}, {"status", "running"}, {"ids", j.ids}, {"submitted", j.submitted}};
  if (j.finished) {
    out.update(j.answer);
    out["finished"] = j.finished;
  }
  return out;
}

}  // namespace kgp::service
