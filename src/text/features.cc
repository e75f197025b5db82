#include "text/features.h"

#include "common/hash.h"
#include "common/strings.h"
#include "text/gazetteer.h"
#include "text/normalize.h"

namespace kgp::text {
namespace {

inline uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t h = (a ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
  h ^= b + (h >> 29);
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 32);
}

struct TokenInfo {
  uint64_t word, shape, prefix, suffix, suffix2, gaz;
};

const uint64_t kBos = Hash64("<s>"), kEos = Hash64("</s>");

}  // namespace

std::string TokenShape(std::string_view token) {
  std::string out;
  for (size_t i = 0; i < token.size();) {
    char c;
    switch (ScriptOf(DecodeUtf8(token, i))) {
      case Script::kUpper: c = 'A'; break;
      case Script::kLower: c = 'a'; break;
      case Script::kDigit: c = '0'; break;
      case Script::kHan: c = 'H'; break;
      case Script::kPunct: c = 'p'; break;
      case Script::kSpace: c = 's'; break;
      default: c = 'o';
    }
    if (out.empty() || out.back() != c) out.push_back(c);
  }
  return out;
}

void ExtractFeatures(const std::vector<std::string>& tokens, const std::vector<std::string>* gaz,
                     const FeatureOptions& opts, SentenceFeatures* out) {
  const size_t n = tokens.size();
  std::vector<TokenInfo> info(n + 4);
  // Two padding tokens on each side: info[0..1] before, info[n+2..n+3] after.
  for (size_t k : {size_t{0}, size_t{1}}) info[k] = {kBos, kBos, kBos, kBos, kBos, 0};
  for (size_t k : {n + 2, n + 3}) info[k] = {kEos, kEos, kEos, kEos, kEos, 0};
  std::string f;
  for (size_t i = 0; i < n; ++i) {
    f.clear();
    AppendFolded(tokens[i], true, &f);
    TokenInfo& t = info[i + 2];
    t.word = Hash64(f);
    t.shape = Hash64(TokenShape(tokens[i]), 7);
    // Prefix/suffix of 3 (and suffix of 2) code points, only for tokens longer than 3.
    size_t cps = 0, p3 = 0;
    size_t last[3] = {0, 0, 0};  // starts of the last three code points
    for (size_t j = 0; j < f.size();) {
      last[0] = last[1];
      last[1] = last[2];
      last[2] = j;
      DecodeUtf8(f, j);
      if (++cps == 3) p3 = j;
    }
    if (cps > 3) {
      std::string_view fv(f);
      t.prefix = Hash64(fv.substr(0, p3), 11);
      t.suffix = Hash64(fv.substr(last[0]), 13);
      t.suffix2 = Hash64(fv.substr(last[1]), 17);
    } else {
      t.prefix = t.suffix = t.suffix2 = 0;
    }
    t.gaz = gaz && i < gaz->size() && !(*gaz)[i].empty() ? Hash64((*gaz)[i], 19) : 0;
  }
  // Word of each token from ICU's dictionary breaks over the joined characters.
  std::vector<uint64_t> word(n, 0), place(n, 0);
  if (opts.use_words && n > 0) {
    std::string joined;
    std::vector<uint32_t> start(n + 1);
    for (size_t i = 0; i < n; ++i) {
      start[i] = static_cast<uint32_t>(joined.size());
      joined += tokens[i];
    }
    start[n] = static_cast<uint32_t>(joined.size());
    if (IsValidUtf8(joined)) {
      size_t t = 0;
      for (const Token& w : WordBreaks(joined)) {
        while (t < n && start[t] < w.begin) ++t;
        size_t first = t;
        while (t < n && start[t + 1] <= w.end) ++t;
        uint64_t wh = Hash64(FoldForMatch(w.text), 23);
        for (size_t i = first; i < t; ++i) {
          word[i] = wh;
          place[i] = t - first == 1 ? 'S' : i == first ? 'B' : i + 1 == t ? 'E' : 'M';
        }
      }
    }
  }
  const uint32_t mask = (1u << opts.hash_bits) - 1;
  out->ids.clear();
  out->offsets.assign(1, 0);
  out->ids.reserve(n * 20);
  auto add = [&](uint64_t tmpl, uint64_t h) { out->ids.push_back(static_cast<uint32_t>(Mix(tmpl, h)) & mask); };
  for (size_t i = 0; i < n; ++i) {
    const TokenInfo *m2 = &info[i], *m1 = &info[i + 1], *c = &info[i + 2], *p1 = &info[i + 3], *p2 = &info[i + 4];
    add(1, 0);  // bias
    add(2, c->word);
    add(13, c->shape);
    if (opts.use_context) {
      add(3, m1->word);
      add(4, p1->word);
      add(5, m2->word);
      add(6, p2->word);
      add(7, Mix(m1->word, c->word));
      add(8, Mix(c->word, p1->word));
      add(9, Mix(m2->word, m1->word));
      add(10, Mix(p1->word, p2->word));
      add(11, Mix(m1->word, p1->word));
      add(12, Mix(Mix(m1->word, c->word), p1->word));
      add(14, Mix(m1->shape, c->shape));
      add(15, Mix(c->shape, p1->shape));
      add(16, Mix(Mix(m1->shape, c->shape), p1->shape));
    }
    if (opts.use_words && word[i]) {
      add(23, word[i]);
      add(24, Mix(place[i], c->word));
      add(25, Mix(place[i], word[i]));
      add(26, place[i]);
    }
    if (c->prefix) {
      add(17, c->prefix);
      add(18, c->suffix);
      add(19, c->suffix2);
    }
    if (opts.use_gazetteer && gaz) {
      add(20, c->gaz);
      add(21, Mix(m1->gaz, c->gaz));
      add(22, Mix(c->gaz, p1->gaz));
    }
    out->offsets.push_back(static_cast<uint32_t>(out->ids.size()));
  }
}

}  // namespace kgp::text
