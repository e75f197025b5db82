// Hashing: a fast 64-bit non-cryptographic hash for keys (event dedup, interning) and
// HMAC-SHA256 (OpenSSL) for pseudonymous ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kgp {

// 64-bit hash with good avalanche (wyhash-style mixing, written here). Stable across runs and
// platforms: event keys are stored, so changing this function is a schema change.
uint64_t Hash64(std::string_view data, uint64_t seed = 0);
inline uint64_t HashCombine(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view message);
// Raw 32-byte SHA-256 (service API keys are stored as this digest).
std::string Sha256(std::string_view data);

}  // namespace kgp
