// The profiles HTTP threads read: per user an immutable UserState behind a shared_ptr, replaced
// by the writer after each committed batch (copy-on-write per user). A reader copies the
// pointer under a shared lock held for a map lookup and finalizes outside it, so a profile it
// reads is exactly the state after some committed batch (never half an update), and a batch
// acknowledged to a client is visible to every request that starts after the acknowledgement.
// Also the events each user posted since the server started, which the recommender (built
// from the events stored at start) reads on top of its history.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "profile/state.h"

namespace kgp::service {

class LiveProfiles {
 public:
  struct View {
    uint32_t user = 0;  // users.id
    std::shared_ptr<const UserState> state;
    int64_t as_of = 0;  // latest event time applied to any profile at publication
  };
  struct Update {
    uint32_t user;
    std::string stored_id;  // empty: the user was published before (the id map is unchanged)
    std::shared_ptr<const UserState> state;
  };

  // stored_id: users.ext_id (the pseudonym in a pseudonymised workspace). nullopt: unknown or
  // no events.
  std::optional<View> Find(const std::string& stored_id) const;
  // Writer only. as_of: the profile set's (the latest event applied to a user still stored).
  // posted: the batch's new events (users.id in ProfileEvent::user), kept per user.
  void Publish(std::vector<Update> updates, int64_t as_of, std::span<const ProfileEvent> posted = {});
  // Find, Erased and the user's events published since start (in time order: one posted late
  // goes before later ones; at most kPostedKept, the latest) under one lock, so that a request
  // overlapping an erasure sees all three from before it or all from after.
  struct Posting {
    View view;
    bool erased = false;
    std::vector<ProfileEvent> posted;
  };
  std::optional<Posting> FindWithPosted(const std::string& stored_id) const;
  static constexpr size_t kPostedKept = 10000;
  size_t posted_bytes() const;  // the posted events' memory, all users (the /metrics gauge)
  // Forgets the user's (users.id `user`, stored id `stored_id`) profile and posted events.
  void Erase(uint32_t user, const std::string& stored_id);
  // True for a user erased since the server started: the graph it loaded at start still has
  // their node and edges, which answers must not show (also when the id posts again).
  bool Erased(std::string_view stored_id) const;
  bool AnyErased() const;  // some user was erased since start
  size_t size() const;

 private:
  std::optional<View> FindLocked(const std::string& stored_id) const;  // REQUIRES: mu_ held

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::set<std::string, std::less<>> erased_;
  std::vector<std::shared_ptr<const UserState>> states_;  // by users.id
  std::vector<std::vector<ProfileEvent>> posted_;         // by users.id
  int64_t as_of_ = 0;
};

}  // namespace kgp::service
