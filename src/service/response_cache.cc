#include "service/response_cache.h"

namespace kgp::service {

std::optional<std::string> ResponseCache::Find(uint32_t user, const Key& k) {
  if (!enabled()) return std::nullopt;
  Shard& s = shards_[user % kShards];
  std::lock_guard lock(s.mu);
  auto it = s.map.find(user);
  if (it == s.map.end()) return std::nullopt;
  const Key& have = it->second.key;
  if (have.state != k.state || have.as_of != k.as_of || have.query != k.query) return std::nullopt;
  return it->second.body;
}

void ResponseCache::Put(uint32_t user, Key k, std::string body) {
  if (!enabled()) return;
  Shard& s = shards_[user % kShards];
  std::lock_guard lock(s.mu);
  auto it = s.map.find(user);
  if (it != s.map.end()) {
    s.bytes -= it->second.body.size();
    s.map.erase(it);
  }
  if (s.bytes + body.size() > max_bytes_ / kShards) {
    s.map.clear();  // crude but bounded; the next reads refill it
    s.bytes = 0;
  }
  s.bytes += body.size();
  s.map.emplace(user, Entry{std::move(k), std::move(body)});
}

size_t ResponseCache::bytes() {
  size_t total = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    total += s.bytes;
  }
  return total;
}

}  // namespace kgp::service
