// Readers for the labelled text sets used to train and measure the text stage:
// - labelled review CSV with header `cat,label,review` (online_shopping_10_cats),
// - Amazon review JSON Lines (`overall` 1-5, `reviewText`, `summary`): >= 4 positive,
//   <= 2 negative, 3 left out,
// - SemEval-2014 ABSA XML (`<sentence><text/><aspectTerms><aspectTerm term from to polarity/>`).
// Bad records are counted and skipped; the first reason is kept (file:line: why).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "text/bio.h"
#include "text/sentiment.h"

namespace kgp::text {

struct ReadStats {
  uint64_t records = 0, kept = 0, skipped = 0;
  uint64_t duplicates = 0;  // exact copies of an earlier line (Amazon 2018 files have many)
  std::string first_error;
};

Result<std::vector<LabeledText>> ReadLabeledCsv(const std::string& path, ReadStats* stats = nullptr);
Result<std::vector<LabeledText>> ReadAmazonReviews(const std::string& path, ReadStats* stats = nullptr);

struct AspectTerm {
  std::string term, polarity;
  uint32_t from = 0, to = 0;  // byte offsets in the sentence text
};
struct AbsaSentence {
  std::string text;
  std::vector<AspectTerm> aspects;
};
Result<std::vector<AbsaSentence>> ReadAbsaXml(const std::string& path, ReadStats* stats = nullptr);

// English word tokens with B-ASP / I-ASP tags for tokens inside aspect terms.
Sentence AbsaToBio(const AbsaSentence& s);

}  // namespace kgp::text
