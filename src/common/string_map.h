// StringMap<V>: a hash map from strings to V whose keys live in an append-only arena, so
// lookups by std::string_view never allocate (ingest interns millions of ids this way).
// Keys are never removed. Not thread-safe.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/hash.h"

namespace kgp {

struct StringViewHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(Hash64(s)); }
};

template <typename V>
class StringMap {
 public:
  V* Find(std::string_view key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  const V* Find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  // REQUIRES: key not present.
  V& Insert(std::string_view key, V value) {
    return map_.emplace(Store(key), std::move(value)).first->second;
  }
  size_t size() const { return map_.size(); }
  void Reserve(size_t n) { map_.reserve(n); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [k, v] : map_) fn(k, v);
  }
  size_t MemoryBytes() const {
    return arena_bytes_ + map_.size() * (sizeof(std::string_view) + sizeof(V) + 24) +
           map_.bucket_count() * sizeof(void*);
  }

 private:
  std::string_view Store(std::string_view key) {
    constexpr size_t kBlock = 1 << 20;
    if (blocks_.empty() || used_ + key.size() > block_size_) {
      block_size_ = std::max(kBlock, key.size());
      blocks_.emplace_back(new char[block_size_]);
      used_ = 0;
      arena_bytes_ += block_size_;
    }
    char* p = blocks_.back().get() + used_;
    if (!key.empty()) std::memcpy(p, key.data(), key.size());
    used_ += key.size();
    return {p, key.size()};
  }
  std::unordered_map<std::string_view, V, StringViewHash> map_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0, arena_bytes_ = 0;
};

}  // namespace kgp
