// Gazetteer matcher: an Aho-Corasick automaton over UTF-8 bytes of folded names (NFKC,
// full-width to half-width, ASCII lower case, accents and curly apostrophes: FoldForMatch),
// built from the shop's own names (brands, categories, attribute values). Match() returns
// leftmost-longest, non-overlapping matches that respect ASCII word boundaries ("hp" does not
// match inside "ship"); a surface shared by several entries (e.g. "apple" the brand and the
// fruit category) is resolved by context: the entry with most of its context words in the text
// wins, then the higher prior.
// Thread safety: Add/Build are not thread-safe; after Build(), const calls are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kgp::text {

struct GazetteerEntry {
  std::string name;                  // surface form as written in the store
  std::string type;                  // "brand", "category", "attribute", …
  std::string key;                   // what the match stands for: brand key, category code, key=value
  std::vector<std::string> context;  // words that make this reading likely (folded when built)
  double prior = 1.0;                // tie-break between readings of the same surface
};

struct GazetteerMatch {
  uint32_t begin = 0, end = 0;  // bytes in the original text
  uint32_t entry = 0;           // index into entries()
};

// Folds a string the way the gazetteer compares names: per code point NFKC, then ASCII lower
// case, curly apostrophes (U+2018, U+2019) as ', accented Latin letters (Latin-1, Latin
// Extended-A: "Estée", "ESTÉE") as ASCII letters and combining accents dropped, so that
// "L’Oréal", "L'Oreal" and "L'Oréal" with a combining U+0301 read alike. offsets (optional)
// receives, for each folded byte, the original byte it came from, plus one final entry for the
// end. Invalid UTF-8 must be sanitised by the caller.
std::string FoldForMatch(std::string_view s, std::vector<uint32_t>* offsets = nullptr);

class Gazetteer {
 public:
  // Names shorter than min_bytes after folding are ignored (single letters match everywhere).
  explicit Gazetteer(size_t min_bytes = 2) : min_bytes_(min_bytes) {}
  void Add(GazetteerEntry e);
  void Build();

  // Every occurrence of every pattern in already-folded text, overlapping, no boundary rules:
  // (begin, end, pattern). The primitive that tests compare with a brute-force search.
  struct Raw {
    uint32_t begin, end, pattern;
  };
  std::vector<Raw> FindAll(std::string_view folded) const;

  std::vector<GazetteerMatch> Match(std::string_view text) const;

  const std::vector<GazetteerEntry>& entries() const { return entries_; }
  const std::string& pattern(uint32_t p) const { return patterns_[p]; }
  size_t num_patterns() const { return patterns_.size(); }
  size_t num_states() const { return fail_.size(); }

 private:
  uint32_t Next(uint32_t state, unsigned char c) const;  // goto; kNone if absent
  void SetNext(uint32_t state, unsigned char c, uint32_t to);
  uint32_t Resolve(uint32_t pattern, std::string_view folded_text) const;

  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  size_t min_bytes_;
  bool built_ = false;
  std::vector<GazetteerEntry> entries_;
  std::vector<std::string> patterns_;                // folded surfaces, distinct
  std::vector<std::vector<uint32_t>> readings_;      // pattern -> entries
  // Trie: transitions in an open-addressing table keyed by (state << 8 | byte).
  std::vector<uint64_t> tkeys_;
  std::vector<uint32_t> tvals_;
  size_t tcount_ = 0;
  std::vector<uint32_t> fail_;      // failure link per state
  std::vector<uint32_t> out_;       // pattern ending exactly at this state, or kNone
  std::vector<uint32_t> dict_;      // nearest state on the failure chain with an output
  std::vector<uint32_t> depth_;
};

}  // namespace kgp::text
