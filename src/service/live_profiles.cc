#include "service/live_profiles.h"

#include <algorithm>
#include <mutex>

namespace kgp::service {

std::optional<LiveProfiles::View> LiveProfiles::Find(const std::string& stored_id) const {
  std::shared_lock lock(mu_);
  return FindLocked(stored_id);
}

std::optional<LiveProfiles::View> LiveProfiles::FindLocked(const std::string& stored_id) const {
  auto it = ids_.find(stored_id);
  if (it == ids_.end() || it->second >= states_.size() || !states_[it->second]) return std::nullopt;
  return View{it->second, states_[it->second], as_of_};
}

std::optional<LiveProfiles::Posting> LiveProfiles::FindWithPosted(const std::string& stored_id) const {
  std::shared_lock lock(mu_);
  auto view = FindLocked(stored_id);
  if (!view) return std::nullopt;
  Posting p{*view, erased_.find(stored_id) != erased_.end(), {}};
  if (view->user < posted_.size()) p.posted = posted_[view->user];
  return p;
}

size_t LiveProfiles::posted_bytes() const {
  std::shared_lock lock(mu_);
  size_t n = posted_.capacity() * sizeof(posted_[0]);
  for (const auto& v : posted_) n += v.capacity() * sizeof(ProfileEvent);
  return n;
}

bool LiveProfiles::AnyErased() const {
  std::shared_lock lock(mu_);
  return !erased_.empty();
}

void LiveProfiles::Publish(std::vector<Update> updates, int64_t as_of, std::span<const ProfileEvent> posted) {
  std::unique_lock lock(mu_);
  for (const ProfileEvent& e : posted) {
    if (e.user >= posted_.size()) posted_.resize(static_cast<size_t>(e.user) + 1);
    auto& v = posted_[e.user];
    // After every event of the same time or earlier: mostly at the end.
    v.insert(std::upper_bound(v.begin(), v.end(), e.ts, [](int64_t ts, const ProfileEvent& x) { return ts < x.ts; }), e);
  }
  // Cut back once per user and batch (not once per event: each cut moves the whole list).
  for (const ProfileEvent& e : posted) {
    auto& v = posted_[e.user];
    if (v.size() > kPostedKept) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() - kPostedKept));
  }
  for (auto& u : updates) {
    if (u.user >= states_.size()) states_.resize(static_cast<size_t>(u.user) + 1);
    states_[u.user] = std::move(u.state);
    if (!u.stored_id.empty()) ids_.try_emplace(std::move(u.stored_id), u.user);
  }
  as_of_ = as_of;  // the writer's: it falls when an erasure took the latest events
}

void LiveProfiles::Erase(uint32_t user, const std::string& stored_id) {
  std::unique_lock lock(mu_);
  erased_.insert(stored_id);
  auto drop_posted = [&](uint32_t u) {
    if (u < posted_.size()) std::vector<ProfileEvent>().swap(posted_[u]);
  };
  drop_posted(user);
  auto it = ids_.find(stored_id);
  if (it == ids_.end()) return;
  if (it->second < states_.size()) states_[it->second].reset();
  drop_posted(it->second);
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
