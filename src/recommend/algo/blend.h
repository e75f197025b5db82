// Blend: a weighted sum of other models' scores, each scaled per user so that its best item
// scores 1 (the models' raw scales differ by orders of magnitude). Spec:
//   blend:w.ease=1:w.rp3beta=0.4:ease.lambda=80:rp3beta.alpha=0.8
// `w.<model>` adds a component with that weight; `<model>.<key>` passes a parameter to it.
// Components are fitted one after the other; Score is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

class Blend : public Recommender {
 public:
  struct Component {
    std::unique_ptr<Recommender> model;
    float weight;
  };
  explicit Blend(std::vector<Component> parts) : parts_(std::move(parts)) {}
  // Reads the w.* and <model>.* keys of p.
  static Result<std::unique_ptr<Blend>> FromParams(const Params& p);

  std::string_view name() const override { return "Blend"; }
  Status Fit(const InteractionMatrix& train, const FitOptions& opts) override;
  void Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const override;

 private:
  std::vector<Component> parts_;
};

}  // namespace kgp::rec
