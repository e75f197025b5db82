#include "service/live_profiles.h"

#include <mutex>

namespace kgp::service {

std::optional<LiveProfiles::View> LiveProfiles::Find(const std::string& stored_id) const {
  std::shared_lock lock(mu_);
  auto it = ids_.find(stored_id);
  if (it == ids_.end() || it->second >= states_.size() || !states_[it->second]) return std::nullopt;
  return View{it->second, states_[it->second], as_of_};
}

void LiveProfiles::Publish(std::vector<Update> updates, int64_t as_of) {
  std::unique_lock lock(mu_);
  for (auto& u : updates) {
    if (u.user >= states_.size()) states_.resize(static_cast<size_t>(u.user) + 1);
    states_[u.user] = std::move(u.state);
    if (!u.stored_id.empty()) ids_.try_emplace(std::move(u.stored_id), u.user);
  }
  as_of_ = as_of;  // the writer's: it falls when an erasure took the latest events
}

void LiveProfiles::Erase(const std::string& stored_id) {
  std::unique_lock lock(mu_);
  erased_.insert(stored_id);
  auto it = ids_.find(stored_id);
  if (it == ids_.end()) return;
  if (it->second < states_.size()) states_[it->second].reset();
  ids_.erase(it);
}

bool LiveProfiles::Erased(std::string_view stored_id) const {
  std::shared_lock lock(mu_);
  return erased_.find(stored_id) != erased_.end();
}

size_t LiveProfiles::size() const {
  std::shared_lock lock(mu_);
  return ids_.size();
}

}  // namespace kgp::service
