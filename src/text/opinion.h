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
#include <utility>
#include <vector>

#include "text/gazetteer.h"

namespace kgp::text {

// The opinion words of one text, read once (OpinionLexicon::Read): each polarity word with its
// degree and negation applied, and the clause marks. The sentiment about any span of the text is
// then a binary search, so a review naming a brand ten thousand times is read once.
class TextOpinions {
 public:
  // Sentiment in [-1, 1] about the span [begin, end) of the text; nullopt when no opinion word
  // outside the span shares its clause.
  std::optional<double> AspectSentiment(uint32_t begin, uint32_t end) const;
  // Sum over the whole text (a lexicon baseline for whole-review sentiment), in [-1, 1].
  double TextSentiment() const;

 private:
  friend class OpinionLexicon;
  struct Scored {
    double value;
    uint32_t begin, end;
  };
  std::vector<uint32_t> breaks_;  // byte offsets of the clause marks, ascending
  std::vector<uint32_t> break_ends_;
  std::vector<Scored> ops_;       // in text order
};

class OpinionLexicon {
 public:
  OpinionLexicon();
  // Reads text. A lexicon word is no opinion inside a name (names: byte spans of the brands,
  // categories and aspects found in it: 卡 in 迪卡侬, 好 in 好孩子), nor a single Chinese character
  // that starts or sits inside a longer ICU word (不 in 不锈钢, 无 in 无线, 快 in 快递) unless
  // lexicon words make up the rest of that word (不好, 好卡).
  TextOpinions Read(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>> names = {}) const;
  // One aspect, or one whole text: Read and ask once.
  std::optional<double> AspectSentiment(std::string_view text, uint32_t begin, uint32_t end) const {
    return Read(text, {{begin, end}}).AspectSentiment(begin, end);
  }
  double TextSentiment(std::string_view text) const { return Read(text).TextSentiment(); }

 private:
  Gazetteer words_;  // type: "pos", "neg", "not", "deg"; key: degree multiplier for "deg"
};

}  // namespace kgp::text
