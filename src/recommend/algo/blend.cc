#include "recommend/algo/blend.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common/log.h"
#include "common/strings.h"
#include "recommend/algo/factory.h"

namespace kgp::rec {

Result<std::unique_ptr<Blend>> Blend::FromParams(const Params& p) {
  std::map<std::string, double> weights;
  std::map<std::string, std::map<std::string, std::string>> sub;
  for (const auto& key : p.Keys()) {
    auto dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) continue;  // reported as unknown
    std::string head = key.substr(0, dot), rest = key.substr(dot + 1);
    if (head == "w") {
      weights[rest] = p.Double(key, 0);
    } else {
      sub[head][rest] = p.String(key, "");
    }
  }
  if (weights.empty()) return Status::InvalidArgument("blend: no component (give w.<model>=weight, e.g. w.ease=1)");
  std::vector<Component> parts;
  for (const auto& [name, w] : weights) {
    if (name == "blend") return Status::InvalidArgument("blend: a blend cannot contain a blend");
    auto model = MakeRecommender(name, Params(sub[name]));
    if (!model.ok()) return model.status();
    parts.push_back({std::move(*model), static_cast<float>(w)});
    sub.erase(name);
  }
  if (!sub.empty()) {
    return Status::InvalidArgument(
        fmt::format("blend: parameters for {}, which has no weight (add w.{}=...)", sub.begin()->first, sub.begin()->first));
  }
  return std::make_unique<Blend>(std::move(parts));
}

Status Blend::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  for (auto& p : parts_) {
    LOG_INF("blend: fitting {} (weight {})", p.model->name(), p.weight);
    KGP_RETURN_IF_ERROR(p.model->Fit(train, opts));
  }
  return Status::Ok();
}

void Blend::Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  std::vector<float> part(out.size());
  for (const auto& p : parts_) {
    p.model->Score(user, history, part);
    float top = 0;
    for (float v : part) {
      if (std::isfinite(v)) top = std::max(top, std::abs(v));
    }
    if (top <= 0) continue;
    const float scale = p.weight / top;
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::isfinite(part[i])) out[i] += scale * part[i];
    }
  }
}

}  // namespace kgp::rec
