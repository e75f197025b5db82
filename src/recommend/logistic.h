// Logistic regression on standardised dense features, fitted by full-batch gradient descent
// with Adam steps and L2: the learned blend of the ranker and the next-purchase propensity
// model. Small (tens of features), deterministic, saved as JSON.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace kgp::rec {

struct LogisticOptions {
  int iterations = 300;
  double learning_rate = 0.05;
  double l2 = 1e-4;
  // Weight of positives relative to negatives; 0 balances the classes (ranking only: the
  // outputs are then not calibrated probabilities).
  double positive_weight = 1;
};

class Logistic {
 public:
  // x holds rows of `width` features; y is 0/1 per row.
  void Fit(std::span<const float> x, std::span<const uint8_t> y, size_t width, const LogisticOptions& opts = {});
  double Logit(std::span<const float> row) const;
  double Predict(std::span<const float> row) const;  // probability
  bool fitted() const { return !w_.empty(); }
  size_t width() const { return w_.size(); }
  // Weights in the original feature units (w / scale), for reports.
  std::vector<double> RawWeights() const;

  nlohmann::json ToJson() const;
  static Result<Logistic> FromJson(const nlohmann::json& j, size_t width);

 private:
  std::vector<double> mean_, scale_, w_;
  double b_ = 0;
};

// Reliability of probabilities against 0/1 outcomes: equal-width bins of predicted
// probability with the mean prediction and observed rate in each, expected calibration error
// (bin-size weighted |observed − predicted|), Brier score and AUC.
struct Reliability {
  struct Bin {
    double lo, hi, predicted = 0, observed = 0;
    size_t n = 0;
  };
  std::vector<Bin> bins;
  double ece = 0, brier = 0, auc = 0, base_rate = 0;
  size_t n = 0;
};
Reliability MeasureReliability(std::span<const float> p, std::span<const uint8_t> y, int bins = 10);

}  // namespace kgp::rec
