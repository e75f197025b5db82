// Feature extraction for the sequence tagger: hashed (feature hashing) templates over the
// folded tokens around a position — unigrams, bigrams and a trigram of tokens, character
// shapes, prefixes/suffixes of word tokens, and the gazetteer tag of the token when the caller
// supplies one. Each feature is a bucket index in [0, 2^hash_bits).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kgp::text {

// The features of every position of one sentence, flattened: position i owns
// ids[offsets[i] .. offsets[i+1]).
struct SentenceFeatures {
  std::vector<uint32_t> ids;
  std::vector<uint32_t> offsets;
  size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

struct FeatureOptions {
  int hash_bits = 20;
  bool use_gazetteer = false;  // the gazetteer tag templates (Train turns it off without gaz tags)
  bool use_context = true;    // neighbour, bigram and trigram templates (off: a weak baseline)
  // ICU word-break templates for character tokens: the word holding the character and the
  // character's place in it (begin/middle/end/single).
  bool use_words = false;
};

// gaz: per-token gazetteer tags ("" or "B-brand" …), or nullptr.
void ExtractFeatures(const std::vector<std::string>& tokens, const std::vector<std::string>* gaz,
                     const FeatureOptions& opts, SentenceFeatures* out);

// A token's shape: A upper, a lower, 0 digit, H Han, p punctuation, s space, o other; runs of
// the same class collapse ("iPhone12" -> "aAa0").
std::string TokenShape(std::string_view token);

}  // namespace kgp::text
