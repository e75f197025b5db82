// Whole-review sentiment: binary logistic regression on hashed character n-grams (1..3 of the
// folded text; Han characters need no word breaks) and, for Latin-script text, word unigrams
// and bigrams. Trained here by SGD with a decaying learning rate.
// Model file: magic "KGPSNT01" + version (docs/text.md). Thread safety: Predict is const.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kgp::text {

struct LabeledText {
  std::string text;
  int label = 0;  // 1 positive, 0 negative
};

struct SentimentOptions {
  int epochs = 6;
  double lr = 0.2;
  double l2 = 1e-7;
  int hash_bits = 22;
  int max_char_n = 3;
  uint64_t seed = 1;
  bool balance_classes = true;  // weight examples by inverse class frequency
};

struct BinaryEval {
  uint64_t n = 0, correct = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  void Add(bool predicted_positive, int label) {
    const bool p = predicted_positive, l = label != 0;
    ++n;
    correct += p == l;
    tp += p && l;
    fp += p && !l;
    fn += !p && l;
    tn += !p && !l;
  }
  double Accuracy() const { return n ? double(correct) / double(n) : 0; }
  // Mean of the recalls of both classes: honest on skewed sets (Amazon is ~95% positive).
  double BalancedAccuracy() const {
    double rp = tp + fn ? double(tp) / double(tp + fn) : 0, rn = tn + fp ? double(tn) / double(tn + fp) : 0;
    return (rp + rn) / 2;
  }
};

class SentimentModel {
 public:
  static constexpr uint32_t kVersion = 1;
  static Result<SentimentModel> Train(const std::vector<LabeledText>& data, const SentimentOptions& opts);
  static Result<SentimentModel> Load(const std::string& path);
  Status Save(const std::string& path) const;

  // Probability that the text is positive. REQUIRES: valid UTF-8.
  double Predict(std::string_view text) const;
  BinaryEval Evaluate(const std::vector<LabeledText>& data) const;

 private:
  SentimentModel() = default;
  void Features(std::string_view text, std::vector<uint32_t>* out) const;
  int hash_bits_ = 22, max_char_n_ = 3;
  std::vector<float> w_;
  float bias_ = 0;
};

// Deterministic shuffle-and-split: the first test_fraction of a seeded permutation is test.
// InvalidArgument for a test_fraction outside [0, 1) (nan included).
Status SeededSplit(std::vector<LabeledText> all, double test_fraction, uint64_t seed,
                 std::vector<LabeledText>* train, std::vector<LabeledText>* test);

}  // namespace kgp::text
