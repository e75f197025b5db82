#include "llm/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

namespace kgp::llm {

int32_t Argmax(const float* logits, int n) {
  int32_t best = 0;
  for (int i = 1; i < n; ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

Status CheckSamplerOptions(const SamplerOptions& o) {
  auto bad = [](const char* name, double v, const char* want) {
    return Status::InvalidArgument(fmt::format("sampling: {} = {}: must be {}", name, v, want));
  };
  if (!std::isfinite(o.temperature) || o.temperature < 0) return bad("temperature", o.temperature, "a finite number >= 0");
  if (!(o.top_p >= 0 && o.top_p <= 1)) return bad("top_p", o.top_p, "from 0 to 1");
  if (!(o.min_p >= 0 && o.min_p <= 1)) return bad("min_p", o.min_p, "from 0 to 1");
  if (!std::isfinite(o.repeat_penalty) || o.repeat_penalty <= 0)
    return bad("repeat_penalty", o.repeat_penalty, "a finite number above 0");
  if (o.repeat_last_n < -1) return bad("repeat_last_n", o.repeat_last_n, "-1 (all tokens) or more");
  return Status::Ok();
}

namespace {
// What CheckSamplerOptions refuses, as off.
SamplerOptions Guarded(SamplerOptions o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0) o.temperature = 0;
  if (!(o.top_p >= 0 && o.top_p <= 1)) o.top_p = 1;
  if (!(o.min_p >= 0 && o.min_p <= 1)) o.min_p = 0;
  if (!std::isfinite(o.repeat_penalty) || o.repeat_penalty <= 0) o.repeat_penalty = 1;
  return o;
}
}  // namespace

Sampler::Sampler(const SamplerOptions& opt)
    : opt_(Guarded(opt)), rng_(static_cast<uint32_t>(opt.seed ^ (opt.seed >> 32))) {}

std::vector<std::pair<int32_t, float>> Sampler::Candidates(const float* logits, int n,
                                                           const std::vector<int32_t>& recent) const {
  std::vector<std::pair<int32_t, float>> c(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) c[static_cast<size_t>(i)] = {i, logits[i]};
  if (opt_.repeat_penalty != 1.0f && opt_.repeat_last_n != 0) {
    size_t from = opt_.repeat_last_n < 0 || recent.size() < static_cast<size_t>(opt_.repeat_last_n)
                      ? 0 : recent.size() - static_cast<size_t>(opt_.repeat_last_n);
    std::unordered_set<int32_t> seen(recent.begin() + static_cast<std::ptrdiff_t>(from), recent.end());
    for (int32_t t : seen) {
      if (t < 0 || t >= n) continue;
      float& l = c[static_cast<size_t>(t)].second;
      l = l > 0 ? l / opt_.repeat_penalty : l * opt_.repeat_penalty;
    }
  }
  auto by_logit = [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); };
  size_t k = opt_.top_k > 0 ? std::min(c.size(), static_cast<size_t>(opt_.top_k)) : c.size();
  std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(), by_logit);
  c.resize(k);
  // Probabilities (softmax of the surviving logits), then top-p and min-p on them.
  auto softmax = [](std::vector<std::pair<int32_t, float>>& v) {
    const float mx = v.front().second;
    double sum = 0;
    for (auto& e : v) sum += (e.second = std::exp(e.second - mx));
    for (auto& e : v) e.second = static_cast<float>(e.second / sum);
  };
  softmax(c);
  if (opt_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = c.size();
    for (size_t i = 0; i < c.size(); ++i) {
      cum += c[i].second;
      if (cum >= opt_.top_p) {
        keep = i + 1;
        break;
      }
    }
    c.resize(keep);
  }
  if (opt_.min_p > 0.0f) {
    const float cut = opt_.min_p * c.front().second;
    size_t keep = 1;
    while (keep < c.size() && c[keep].second >= cut) ++keep;
    c.resize(keep);
  }
  // Renormalise what is left.
  double sum = 0;
  for (auto& e : c) sum += e.second;
  for (auto& e : c) e.second = static_cast<float>(e.second / sum);
  return c;
}

int32_t Sampler::Sample(const float* logits, int n, const std::vector<int32_t>& recent) {
  if (opt_.temperature <= 0.0f) {
    if (opt_.repeat_penalty == 1.0f) return Argmax(logits, n);
    SamplerOptions g = opt_;
    g.top_k = 1;
    Sampler s(g);
    return s.Candidates(logits, n, recent).front().first;
  }
  auto c = Candidates(logits, n, recent);
  // Temperature applies to the surviving candidates: p^(1/T), renormalised.
  std::vector<double> w(c.size());
  for (size_t i = 0; i < c.size(); ++i) w[i] = std::pow(static_cast<double>(c[i].second), 1.0 / opt_.temperature);
  std::discrete_distribution<size_t> dist(w.begin(), w.end());
  return c[dist(rng_)].first;
}

}  // namespace kgp::llm
