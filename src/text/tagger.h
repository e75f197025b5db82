// Sequence tagger: averaged structured perceptron (Collins 2002) over hashed features
// (features.h) with first-order label transitions, decoded by Viterbi constrained to valid BIO
// sequences (I-X only after B-X or I-X). Trained from BIO sentences (bio.h). Tokens are
// characters (Chinese titles) or words (English reviews): the model records which.
// Model file format: docs/text.md ("Tagger model file"), magic "KGPTAG01" and a version.
// Thread safety: Tag() is const and may run on many threads; Train/Load build a new model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "text/bio.h"
#include "text/features.h"

namespace kgp::text {

enum class TokenUnit : uint8_t { kChar = 0, kWord = 1 };

struct TaggerOptions {
  int epochs = 12;
  uint64_t seed = 1;  // shuffling order of sentences each epoch
  FeatureOptions features;
  TokenUnit unit = TokenUnit::kChar;
};

struct TaggerTrainReport {
  int epochs = 0;
  double seconds = 0;
  uint64_t updates = 0;       // sentences whose prediction was wrong, over all epochs
  uint64_t nonzero = 0;       // non-zero averaged weights
};

class Tagger {
 public:
  static constexpr uint32_t kVersion = 2;  // 2: use_words flag in the header
  // Feature weights (2^hash_bits buckets × labels) a model may have: 1 GiB of floats (training
  // takes 12 bytes each). Train and Load refuse more: a 92 KB file claiming 2^22 buckets × 150
  // labels made `text ner` take 2.5 GB, 2^26 × 1000 asked for 268 GB.
  static constexpr uint64_t kMaxWeights = uint64_t{1} << 28;

  // gaz (optional): per sentence, per token gazetteer tags for the gazetteer templates.
  static Result<Tagger> Train(const std::vector<Sentence>& train, const TaggerOptions& opts,
                              TaggerTrainReport* report = nullptr,
                              const std::vector<std::vector<std::string>>* gaz = nullptr);
  static Result<Tagger> Load(const std::string& path);
  Status Save(const std::string& path) const;

  // BIO tags for tokens (same length). gaz as in Train, for this sentence.
  std::vector<std::string> Tag(const std::vector<std::string>& tokens,
                               const std::vector<std::string>* gaz = nullptr) const;
  // Same on precomputed features (benchmarks); returns label indices.
  std::vector<uint16_t> Decode(const SentenceFeatures& f) const;

  const std::vector<std::string>& labels() const { return labels_; }
  TokenUnit unit() const { return unit_; }
  const FeatureOptions& feature_options() const { return fopts_; }
  bool uses_gazetteer() const { return fopts_.use_gazetteer; }

 private:
  Tagger() = default;
  std::vector<uint16_t> Viterbi(const SentenceFeatures& f, const float* w, const float* trans) const;
  void BuildAllowed();

  std::vector<std::string> labels_;   // labels_[0] == "O"
  FeatureOptions fopts_;
  TokenUnit unit_ = TokenUnit::kChar;
  std::vector<float> w_;              // [bucket * L + label]
  std::vector<float> trans_;          // [(prev + 1) * L + cur]; prev = -1 is the start
  std::vector<uint8_t> allowed_;      // same layout as trans_: BIO-valid transitions
};

}  // namespace kgp::text
