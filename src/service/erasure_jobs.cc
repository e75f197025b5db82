#include "service/erasure_jobs.h"

#include <fmt/format.h>

#include "common/time.h"
#include "privacy/pseudonym.h"
#include "service/context.h"

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

void ErasureJobs::set_max(size_t max) {
  std::lock_guard lock(mu_);
  max_ = std::max<size_t>(1, max);
}

Result<nlohmann::json> ErasureJobs::Start(size_t ids, const Queue& queue) {
  std::lock_guard lock(mu_);
  Prune();
  // Room from answers already fetched, the oldest ended first; never from one not yet fetched.
  while (jobs_.size() >= max_) {
    auto oldest = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->second.fetched && (oldest == jobs_.end() || it->second.finished < oldest->second.finished)) oldest = it;
    if (oldest == jobs_.end())
      return Status::Aborted(fmt::format(
          "{} erasure runs are waiting, running or holding an answer not fetched yet: fetch their answers "
          "(GET /v1/erasures/{{job}}) or wait for one to end, then send this list again (nothing of it was erased)",
          jobs_.size()));
    jobs_.erase(oldest);
  }
  const std::string id = privacy::NewKeyHex().substr(0, 24);
  Job& j = jobs_[id];
  j.ids = ids;
  j.submitted = UnixNow();
  j.run = queue([ended = j.ended] { ended->store(UnixNow()); });
  return Snapshot(id, j);
}

void ErasureJobs::Settle(Job& j) {
  if (j.finished || j.run.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  Result<nlohmann::json> answer = Status::Internal("the erasure run ended without an answer");
  try {
    answer = ErasureAnswer(j.run.get());
  } catch (const std::exception& e) {
    answer = Status::Internal(fmt::format("the erasure run ended without an answer: {}", e.what()));
  }
  j.finished = j.ended->load() ? j.ended->load() : UnixNow();
  nlohmann::json fields;
  if (answer.ok()) {
    fields = std::move(*answer);
    fields["status"] = "done";
  } else {
    // The error the synchronous request would have answered with (503 unavailable, 500 internal).
    fields = {{"status", "failed"},
              {"error", {{"code", HttpErrorOf(answer.status()).code}, {"message", answer.status().message()}}}};
  }
  j.answer = fields.dump();  // as text: a tree of 10,000 receipts takes several times more
}

void ErasureJobs::Prune() {
  const int64_t now = UnixNow();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Settle(it->second);
    if (it->second.finished && now - it->second.finished > kKeepSeconds) it = jobs_.erase(it);
    else ++it;
  }
}

nlohmann::json ErasureJobs::Snapshot(const std::string& id, const Job& j) {
  nlohmann::json out = {{"job", id}, {"status", "running"}, {"ids", j.ids}, {"submitted", j.submitted}};
  if (j.finished) {
    out.update(nlohmann::json::parse(j.answer));
    out["finished"] = j.finished;
  }
  return out;
}

std::optional<nlohmann::json> ErasureJobs::Find(const std::string& id, bool fetch) {
  std::lock_guard lock(mu_);
  Prune();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  it->second.fetched |= fetch && it->second.finished != 0;
  return Snapshot(id, it->second);
}

size_t ErasureJobs::bytes() {
  std::lock_guard lock(mu_);
  Prune();  // settles the runs that ended: their answers count from then
  size_t n = 0;
  for (const auto& [id, j] : jobs_) n += j.answer.size();
  return n;
}

}  // namespace kgp::service
