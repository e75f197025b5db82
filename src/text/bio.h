// BIO-tagged sentences: reading CoNLL-style files (one token and its tag per line, blank line
// between sentences), spans from tag sequences, and entity-level evaluation (exact span and
// type; micro and per-type precision, recall, F1 as in conlleval).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kgp::text {

struct Sentence {
  std::vector<std::string> tokens;
  std::vector<std::string> tags;  // "O", "B-TYPE", "I-TYPE"; empty when unlabelled
};

struct BioReadStats {
  uint64_t lines = 0, sentences = 0, tokens = 0;
  uint64_t bad_lines = 0;  // no separator, bad tag, invalid UTF-8: skipped
  std::string first_error; // file:line: why, for the first bad line
};

// A tag a BIO file may hold and a tagger model stores: O, or B-TYPE / I-TYPE with TYPE non-empty,
// valid UTF-8 without control characters, the whole at most kMaxBioTagBytes.
inline constexpr size_t kMaxBioTagBytes = 256;
bool IsBioTag(std::string_view tag);

// Reads `token<SPACE>tag` lines. The token is everything before the LAST ASCII space (so a
// U+3000 ideographic space is a token); CRLF and a BOM are accepted. Bad lines are counted and
// skipped; an unreadable file is an error.
Result<std::vector<Sentence>> ReadBioFile(const std::string& path, BioReadStats* stats = nullptr);

struct Span {
  uint32_t begin = 0, end = 0;  // token indices [begin, end)
  std::string type;
  bool operator<(const Span& o) const {
    return begin != o.begin ? begin < o.begin : end != o.end ? end < o.end : type < o.type;
  }
  bool operator==(const Span& o) const { return begin == o.begin && end == o.end && type == o.type; }
};

// Spans of a tag sequence. An I- that does not continue a span of its type starts one
// (conlleval's lenient reading).
std::vector<Span> SpansFromTags(const std::vector<std::string>& tags);
std::vector<std::string> TagsFromSpans(size_t n, const std::vector<Span>& spans);

struct PrfCounts {
  uint64_t tp = 0, fp = 0, fn = 0;
  double Precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
  double Recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double F1() const {
    double p = Precision(), r = Recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

struct SpanEval {
  PrfCounts micro;
  std::map<std::string, PrfCounts> by_type;
  void Add(const std::vector<Span>& gold, const std::vector<Span>& pred);
};

}  // namespace kgp::text
