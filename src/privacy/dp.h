// Differential privacy mechanisms (docs/privacy.md "Mechanisms"): Laplace for ε-DP and the
// analytic Gaussian mechanism (Balle & Wang 2018) for (ε, δ)-DP, with clamping so that every
// contribution has a known bound. Each mechanism knows the law of its noise (Cdf), which the
// stochastic tests compare against (tests/privacy_dp_test.cc).
// Noise comes from a NoiseSource: SecureNoise (OpenSSL RAND_bytes) for releases, SeededNoise
// for reproducible tests. Floating-point caveat: the textbook samplers used here leak through
// the low bits of doubles in theory (Mironov 2012); counts are released rounded to integers,
// which removes that channel for the counting queries this engine answers.
// Thread-compatible: a mechanism is immutable; a NoiseSource is used by one thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/rng.h"
#include "common/status.h"

namespace kgp::privacy {

// Uniform doubles in the open interval (0, 1).
class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  virtual double Uniform() = 0;
};

// Cryptographically secure (OpenSSL RAND_bytes), buffered. For every release that leaves the
// system: a predictable generator would let an observer subtract the noise.
class SecureNoise : public NoiseSource {
 public:
  double Uniform() override;

 private:
  uint64_t buf_[64];
  size_t left_ = 0;
};

// Deterministic for a seed. Tests only.
class SeededNoise : public NoiseSource {
 public:
  explicit SeededNoise(uint64_t seed) : rng_(seed) {}
  double Uniform() override;

 private:
  Rng rng_;
};

double Clamp(double x, double lo, double hi);

// Laplace(0, b) with b = sensitivity / epsilon: ε-DP for a query whose L1 sensitivity is
// `sensitivity`. REQUIRES: epsilon > 0, sensitivity > 0 (checked by Make).
class LaplaceMechanism {
 public:
  static Result<LaplaceMechanism> Make(double epsilon, double l1_sensitivity);
  double epsilon() const { return epsilon_; }
  double scale() const { return scale_; }
  double AddNoise(double x, NoiseSource& rng) const { return x + Sample(rng); }
  double Sample(NoiseSource& rng) const;
  // P(noise <= x).
  double Cdf(double x) const;

 private:
  double epsilon_ = 1, scale_ = 1;
};

// N(0, σ²) with the smallest σ for which the Gaussian mechanism is (ε, δ)-DP at L2 sensitivity
// Δ, found by bisection on the exact privacy profile
//   δ(σ) = Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ)
// (valid for every ε > 0, unlike the classic σ = Δ√(2 ln(1.25/δ))/ε which needs ε < 1).
class GaussianMechanism {
 public:
  static Result<GaussianMechanism> Make(double epsilon, double delta, double l2_sensitivity);
  double epsilon() const { return epsilon_; }
  double delta() const { return delta_; }
  double sigma() const { return sigma_; }
  double AddNoise(double x, NoiseSource& rng) const { return x + Sample(rng); }
  double Sample(NoiseSource& rng) const;
  double Cdf(double x) const;
  // δ achieved by noise σ at (ε, Δ): the profile above.
  static double DeltaFor(double sigma, double epsilon, double l2_sensitivity);

 private:
  double epsilon_ = 1, delta_ = 1e-6, sigma_ = 1;
};

// Standard normal CDF.
double NormalCdf(double x);

enum class DpMechanism { kLaplace, kGaussian };
Result<DpMechanism> ParseDpMechanism(const std::string& name);  // "laplace" | "gaussian"
const char* DpMechanismName(DpMechanism m);

}  // namespace kgp::privacy
