// The one small random generator of the project (splitmix64): per-thread training and
// sampling, k-means seeding, benchmarks' synthetic data. Deterministic for a given state;
// not for anything that must be unpredictable.
#pragma once

#include <cstdint>

namespace kgp {

class Rng {
 public:
  explicit Rng(uint64_t state) : s_(state) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((Next() >> 32) * n) >> 32); }
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(Next()) * n) >> 64); }
  // Uniform in [0, 1).
  float Unit() { return static_cast<float>(Next() >> 40) * (1.0f / 16777216.0f); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  float Uniform(float lo, float hi) { return lo + (hi - lo) * Unit(); }

 private:
  uint64_t s_;
};

}  // namespace kgp
