#include "privacy/dp.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace kgp::privacy {
namespace {
// 53 random bits to a double in (0, 1): never 0 (logs below) and never 1.
double ToOpenUnit(uint64_t bits) { return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53; }
}  // namespace

double SecureNoise::Uniform() {
  if (left_ == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(buf_), sizeof buf_) != 1)
      throw Error(Status::Internal("OpenSSL RAND_bytes failed: no secure randomness for DP noise"));
    left_ = sizeof buf_ / sizeof buf_[0];
  }
  return ToOpenUnit(buf_[--left_]);
}

double SeededNoise::Uniform() { return ToOpenUnit(rng_.Next()); }

double Clamp(double x, double lo, double hi) {
  if (std::isnan(x)) return lo;
  return std::min(std::max(x, lo), hi);
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

Result<LaplaceMechanism> LaplaceMechanism::Make(double epsilon, double l1_sensitivity) {
  if (!(epsilon > 0) || !std::isfinite(epsilon))
    return Status::InvalidArgument(fmt::format("DP: epsilon must be > 0 (got {})", epsilon));
  if (!(l1_sensitivity > 0) || !std::isfinite(l1_sensitivity))
    return Status::InvalidArgument(fmt::format("DP: sensitivity must be > 0 (got {})", l1_sensitivity));
  LaplaceMechanism m;
  m.epsilon_ = epsilon;
  m.scale_ = l1_sensitivity / epsilon;
  return m;
}

double LaplaceMechanism::Sample(NoiseSource& rng) const {
  // Difference of two Exp(1) draws is Laplace(0, 1).
  return scale_ * (std::log(rng.Uniform()) - std::log(rng.Uniform()));
}

double LaplaceMechanism::Cdf(double x) const {
  return x < 0 ? 0.5 * std::exp(x / scale_) : 1.0 - 0.5 * std::exp(-x / scale_);
}

double GaussianMechanism::DeltaFor(double sigma, double epsilon, double d) {
  const double a = d / (2 * sigma), b = epsilon * sigma / d;
  return NormalCdf(a - b) - std::exp(epsilon) * NormalCdf(-a - b);
}

Result<GaussianMechanism> GaussianMechanism::Make(double epsilon, double delta, double l2_sensitivity) {
  if (!(epsilon > 0) || !std::isfinite(epsilon))
    return Status::InvalidArgument(fmt::format("DP: epsilon must be > 0 (got {})", epsilon));
  if (!(delta > 0 && delta < 1))
    return Status::InvalidArgument(fmt::format("DP: the Gaussian mechanism needs 0 < delta < 1 (got {})", delta));
  if (!(l2_sensitivity > 0) || !std::isfinite(l2_sensitivity))
    return Status::InvalidArgument(fmt::format("DP: sensitivity must be > 0 (got {})", l2_sensitivity));
  // δ(σ) falls monotonically with σ: bracket, then bisect to the smallest σ with δ(σ) <= delta.
  double lo = 1e-6 * l2_sensitivity, hi = l2_sensitivity;
  while (DeltaFor(hi, epsilon, l2_sensitivity) > delta) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (DeltaFor(mid, epsilon, l2_sensitivity) > delta ? lo : hi) = mid;
  }
  GaussianMechanism m;
  m.epsilon_ = epsilon;
  m.delta_ = delta;
  m.sigma_ = hi;
  return m;
}

double GaussianMechanism::Sample(NoiseSource& rng) const {
  // Box–Muller (one of the pair is used: simpler state, the cost is irrelevant here).
  const double u1 = rng.Uniform(), u2 = rng.Uniform();
  return sigma_ * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double GaussianMechanism::Cdf(double x) const { return NormalCdf(x / sigma_); }

Result<DpMechanism> ParseDpMechanism(const std::string& name) {
  if (name == "laplace") return DpMechanism::kLaplace;
  if (name == "gaussian") return DpMechanism::kGaussian;
  return Status::InvalidArgument(fmt::format("unknown DP mechanism '{}' (laplace or gaussian)", name));
}

const char* DpMechanismName(DpMechanism m) { return m == DpMechanism::kLaplace ? "laplace" : "gaussian"; }

}  // namespace kgp::privacy
