#include "service/live_profiles.h"

#include <algorithm>
#include <mutex>

namespace kgp::service {

std::optional<LiveProfiles::View> LiveProfiles::Find(const std::string& stored_id) const {
  std::shared_lock lock(mu_);
  auto it = ids_.find(stored_id);
  if (it == ids_.end() || it->second >= states_.size() || !states_[it->second]) return std::nullopt;
  return View{it->second, states_[it->second], as_of_};
}

void LiveProfiles::Publish(std::vector<Update> updates, int64_t as_of, std::span<const ProfileEvent> posted) {
  std::unique_lock lock(mu_);
  for (const ProfileEvent& e : posted) {
    if (e.user >= posted_.size()) posted_.resize(static_cast<size_t>(e.user) + 1);
    auto& v = posted_[e.user];
    // After every event of the same time or earlier: mostly at the end.
    v.insert(std::upper_bound(v.begin(), v.end(), e.ts, [](int64_t ts, const ProfileEvent& x) { return ts < x.ts; }), e);
    if (v.size() > kPostedKept) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() - kPostedKept));
  }
  for (auto& u : updates) {
    if (u.user >= states_.size()) states_.resize(static_cast<size_t>(u.user) + 1);
    states_[u.user] = std::move(u.state);
    if (!u.stored_id.empty()) ids_.try_emplace(std::move(u.stored_id), u.user);
  }
  as_of_ = as_of;  // the writer's: it falls when an erasure took the latest events
}

std::vector<ProfileEvent> LiveProfiles::Posted(uint32_t user) const {
  std::shared_lock lock(mu_);
  return user < posted_.size() ? posted_[user] : std::vector<ProfileEvent>{};
}

void LiveProfiles::Erase(uint32_t user, const std::string& stored_id) {
  std::unique_lock lock(mu_);
  erased_.insert(stored_id);
  if (user < posted_.size()) std::vector<ProfileEvent>().swap(posted_[user]);
  auto it = ids_.find(stored_id);
  if (it == ids_.end()) return;
  if (it->second < states_.size()) states_[it->second].reset();
  if (it->second < posted_.size()) std::vector<ProfileEvent>().swap(posted_[it->second]);
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
