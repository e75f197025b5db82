// Aspect sentiment from opinion words near an aspect (both Chinese and English): within the
// clause that holds the aspect, each opinion word counts its polarity, multiplied by a degree
// word just before it (很/非常/有点, very/really/slightly) and flipped by a negation just before
// it (不/没/没有, not/never/n't); nearer words count more. The lexicons are small and written
// here (docs/text.md lists them); matching reuses the gazetteer automaton.
// Thread safety: const after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "text/gazetteer.h"

namespace kgp::text {

class OpinionLexicon {
 public:
  OpinionLexicon();
  // Sentiment in [-1, 1] about the aspect at bytes [begin, end) of text; nullopt when no
  // opinion word shares its clause.
  std::optional<double> AspectSentiment(std::string_view text, uint32_t begin, uint32_t end) const;
  // Sum over the whole text (a lexicon baseline for whole-review sentiment), in [-1, 1].
  double TextSentiment(std::string_view text) const;

 private:
  Gazetteer words_;  // type: "pos", "neg", "not", "deg"; key: degree multiplier for "deg"
};

}  // namespace kgp::text
