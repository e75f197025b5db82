// StringMap<V>: a hash map from strings to V for interning millions of ids at ingest speed.
// Open addressing with linear probing over a flat slot array (one cache miss per lookup, where
// a node-based std::unordered_map takes several). Keys of up to 16 bytes (most ids) live inside
// the slot; longer keys are copied into an append-only arena. Lookups by std::string_view never
// allocate. Keys are never removed.
// Pointers and references returned by Find/Insert are invalidated by the next Insert.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "common/hash.h"

namespace kgp {

template <typename V>
class StringMap {
 public:
  StringMap() { Rehash(16); }

  V* Find(std::string_view key) {
    uint64_t h = Hash64(key);
    Slot* s = Probe(h, key);
    return s->hash ? &s->value : nullptr;
  }
  const V* Find(std::string_view key) const { return const_cast<StringMap*>(this)->Find(key); }

  // REQUIRES: key not present.
  V& Insert(std::string_view key, V value) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    uint64_t h = Hash64(key);
    Slot* s = Probe(h, key);
    s->hash = static_cast<uint32_t>(h >> 32) | 1u;  // never 0: 0 marks a free slot
    s->len = static_cast<uint32_t>(key.size());
    if (key.size() <= kInline) {
      std::memcpy(s->bytes, key.data(), key.size());
    } else {
      const char* p = Store(key);
      std::memcpy(s->bytes, &p, sizeof p);
    }
    s->value = std::move(value);
    ++size_;
    return s->value;
  }

  size_t size() const { return size_; }
  void Reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    if (cap > slots_.size()) Rehash(cap);
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& s : slots_)
      if (s.hash) fn(s.key(), s.value);
  }
  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (auto& s : slots_)
      if (s.hash) fn(s.key(), s.value);
  }
  size_t MemoryBytes() const { return arena_bytes_ + slots_.capacity() * sizeof(Slot); }

 private:
  static constexpr size_t kInline = 16;
  struct Slot {
    uint32_t hash = 0;  // high bits of Hash64 | 1; 0 = free
    uint32_t len = 0;
    char bytes[kInline];  // the key, or a pointer to it in the arena
    V value{};
    std::string_view key() const {
      if (len <= kInline) return {bytes, len};
      const char* p;
      std::memcpy(&p, bytes, sizeof p);
      return {p, len};
    }
  };

  Slot* Probe(uint64_t h, std::string_view key) {
    size_t mask = slots_.size() - 1;
    uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
    for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (!s.hash) return &s;
      if (s.hash == tag && s.len == key.size() && s.key() == key) return &s;
    }
  }

  void Rehash(size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(cap);
    size_t mask = cap - 1;
    for (auto& s : old) {
      if (!s.hash) continue;
      size_t i = static_cast<size_t>(Hash64(s.key())) & mask;
      while (slots_[i].hash) i = (i + 1) & mask;
      slots_[i] = std::move(s);
    }
  }

  const char* Store(std::string_view key) {
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
    return p;
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0, arena_bytes_ = 0;
};

}  // namespace kgp
