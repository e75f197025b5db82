// Shared by the CLI, tests, benchmarks and make eval: loading a tagged set (BIO file or
// SemEval ABSA XML) and measuring a tagger on it (entity-level F1, throughput).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "text/bio.h"
#include "text/datasets.h"
#include "text/gazetteer.h"
#include "text/opinion.h"
#include "text/sentiment.h"
#include "text/tagger.h"

namespace kgp::text {

// format: "bio" (CoNLL char/word + tag) or "absa" (SemEval-2014 XML, aspect terms as ASP).
// skipped receives the number of bad lines or records (and first_error the first reason).
Result<std::vector<Sentence>> LoadTaggedSet(const std::string& path, const std::string& format,
                                            uint64_t* skipped = nullptr, std::string* first_error = nullptr);

struct TaggerEval {
  SpanEval spans;
  uint64_t sentences = 0, tokens = 0, bytes = 0;
  double seconds = 0;  // tagging only (features + Viterbi)
  double MBps() const { return seconds > 0 ? double(bytes) / 1e6 / seconds : 0; }
};
// gaz: the gazetteer a model trained with gazetteer features reads (MODEL.gaz), else nullptr.
TaggerEval EvaluateTagger(const Tagger& tagger, const std::vector<Sentence>& test, const Gazetteer* gaz = nullptr);

// The opinion lexicon's aspect sentiment against gold aspect polarities (SemEval: positive,
// negative, neutral; "conflict" left out): no opinion word or |score| < 0.1 reads as neutral.
struct AspectPolarityEval {
  uint64_t n = 0, correct = 0, positive = 0;  // positive: gold positives (the majority class)
  uint64_t with_opinion = 0;                  // aspects with an opinion word in their clause
  double Accuracy() const { return n ? double(correct) / double(n) : 0; }
  double MajorityBaseline() const { return n ? double(positive) / double(n) : 0; }
};
AspectPolarityEval EvaluateAspectPolarity(const OpinionLexicon& lex, const std::vector<AbsaSentence>& data);

// The opinion lexicon as a whole-review classifier (what `text extract` scores reviews with
// when it has no sentiment model): positive when TextSentiment > 0, as the stage counts them.
BinaryEval EvaluateLexiconSentiment(const OpinionLexicon& lex, const std::vector<LabeledText>& data);

}  // namespace kgp::text
