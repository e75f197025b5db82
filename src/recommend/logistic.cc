#include "recommend/logistic.h"

#include <algorithm>
#include <cmath>

#include "recommend/metrics.h"

namespace kgp::rec {

void Logistic::Fit(std::span<const float> x, std::span<const uint8_t> y, size_t width, const LogisticOptions& opts) {
  const size_t n = y.size();
  mean_.assign(width, 0);
  scale_.assign(width, 1);
  w_.assign(width, 0);
  b_ = 0;
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i)
    for (size_t f = 0; f < width; ++f) mean_[f] += x[i * width + f];
  for (auto& m : mean_) m /= static_cast<double>(n);
  std::vector<double> var(width, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t f = 0; f < width; ++f) var[f] += std::pow(x[i * width + f] - mean_[f], 2);
  for (size_t f = 0; f < width; ++f) scale_[f] = std::sqrt(var[f] / static_cast<double>(n)) > 1e-9 ? std::sqrt(var[f] / static_cast<double>(n)) : 1.0;
  size_t pos = 0;
  for (uint8_t v : y) pos += v != 0;
  double wpos = opts.positive_weight;
  if (wpos <= 0) wpos = pos ? static_cast<double>(n - pos) / static_cast<double>(pos) : 1;
  const double total = static_cast<double>(n - pos) + wpos * static_cast<double>(pos);
  // Adam on the mean weighted log-loss.
  std::vector<double> m(width + 1, 0), v(width + 1, 0), g(width + 1);
  std::vector<double> z(width);
  const double b1 = 0.9, b2 = 0.999;
  for (int it = 1; it <= opts.iterations; ++it) {
    std::fill(g.begin(), g.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      double s = b_;
      for (size_t f = 0; f < width; ++f) z[f] = (x[i * width + f] - mean_[f]) / scale_[f], s += w_[f] * z[f];
      const double p = 1 / (1 + std::exp(-s));
      const double wi = y[i] ? wpos : 1.0;
      const double d = wi * (p - (y[i] ? 1.0 : 0.0)) / total;
      for (size_t f = 0; f < width; ++f) g[f] += d * z[f];
      g[width] += d;
    }
    for (size_t f = 0; f < width; ++f) g[f] += opts.l2 * w_[f];
    const double c1 = 1 - std::pow(b1, it), c2 = 1 - std::pow(b2, it);
    for (size_t f = 0; f <= width; ++f) {
      m[f] = b1 * m[f] + (1 - b1) * g[f];
      v[f] = b2 * v[f] + (1 - b2) * g[f] * g[f];
      const double step = opts.learning_rate * (m[f] / c1) / (std::sqrt(v[f] / c2) + 1e-8);
      if (f < width) w_[f] -= step;
      else b_ -= step;
    }
  }
}

double Logistic::Logit(std::span<const float> row) const {
  double s = b_;
  for (size_t f = 0; f < w_.size() && f < row.size(); ++f) s += w_[f] * (row[f] - mean_[f]) / scale_[f];
  return s;
}

double Logistic::Predict(std::span<const float> row) const { return 1 / (1 + std::exp(-Logit(row))); }

std::vector<double> Logistic::RawWeights() const {
  std::vector<double> out(w_.size());
  for (size_t f = 0; f < w_.size(); ++f) out[f] = w_[f] / scale_[f];
  return out;
}

nlohmann::json Logistic::ToJson() const {
  return {{"mean", mean_}, {"scale", scale_}, {"weights", w_}, {"bias", b_}};
}

Result<Logistic> Logistic::FromJson(const nlohmann::json& j, size_t width) {
  Logistic l;
  try {
    l.mean_ = j.at("mean").get<std::vector<double>>();
    l.scale_ = j.at("scale").get<std::vector<double>>();
    l.w_ = j.at("weights").get<std::vector<double>>();
    l.b_ = j.at("bias").get<double>();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("logistic model: ") + e.what());
  }
  if (l.mean_.size() != width || l.scale_.size() != width || l.w_.size() != width)
    return Status::Corruption("logistic model: expected " + std::to_string(width) + " features");
  return l;
}

Reliability MeasureReliability(std::span<const float> p, std::span<const uint8_t> y, int nbins) {
  Reliability r;
  r.n = p.size();
  r.bins.resize(static_cast<size_t>(nbins));
  for (int b = 0; b < nbins; ++b) r.bins[b].lo = double(b) / nbins, r.bins[b].hi = double(b + 1) / nbins;
  std::vector<float> pos, neg;
  for (size_t i = 0; i < p.size(); ++i) {
    const int b = std::clamp(static_cast<int>(p[i] * nbins), 0, nbins - 1);
    auto& bin = r.bins[static_cast<size_t>(b)];
    bin.predicted += p[i], bin.observed += y[i] ? 1 : 0, ++bin.n;
    r.brier += std::pow(p[i] - (y[i] ? 1.0 : 0.0), 2);
    r.base_rate += y[i] ? 1 : 0;
    (y[i] ? pos : neg).push_back(p[i]);
  }
  if (r.n == 0) return r;
  for (auto& bin : r.bins) {
    if (!bin.n) continue;
    bin.predicted /= static_cast<double>(bin.n), bin.observed /= static_cast<double>(bin.n);
    r.ece += static_cast<double>(bin.n) / static_cast<double>(r.n) * std::abs(bin.observed - bin.predicted);
  }
  r.brier /= static_cast<double>(r.n);
  r.base_rate /= static_cast<double>(r.n);
  r.auc = Auc(pos, neg);
  return r;
}

}  // namespace kgp::rec
