// Serialized profile responses, reused while the profile they were made from is unchanged: the
// key is the user's immutable state (LiveProfiles replaces the pointer on every update), the
// as-of time (recency and lifecycle move with it) and the query. Finalizing and serializing a
// profile costs far more than answering it, so repeated reads of a user cost one lookup.
// Bounded by bytes: a shard over its share is emptied. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "profile/state.h"

namespace kgp::service {

class ResponseCache {
 public:
  explicit ResponseCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  struct Key {
    std::shared_ptr<const UserState> state;
    int64_t as_of;
    uint32_t query;  // the query parameters that shape the body, packed by the caller
  };
  bool enabled() const { return max_bytes_ > 0; }
  std::optional<std::string> Find(uint32_t user, const Key& k);
  void Put(uint32_t user, Key k, std::string body);
  size_t bytes();  // bodies held now (at most max_bytes)

 private:
  struct Entry {
    Key key;
    std::string body;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint32_t, Entry> map;
    size_t bytes = 0;
  };
  static constexpr size_t kShards = 16;
  size_t max_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace kgp::service
