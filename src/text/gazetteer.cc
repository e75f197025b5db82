#include "text/gazetteer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <unordered_map>

#include "common/hash.h"
#include "text/normalize.h"

namespace kgp::text {
namespace {

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

uint64_t Mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

// ASCII letters of the accented Latin letters U+00C0..U+017F, lower case; '.' where there is
// none (x, ÷) and '2' for the two-letter ones (æ ĳ œ þ ß: kTwoLetters).
constexpr std::string_view kLatinBase =
    "aaaaaa2ceeeeiiii" "dnooooo.ouuuuy22" "aaaaaa2ceeeeiiii" "dnooooo.ouuuuy2y"    // U+00C0..U+00FF
    "aaaaaaccccccccdd" "ddeeeeeeeeeegggg" "gggghhhhiiiiiiii" "ii22jjkkklllllll"    // U+0100..U+013F
    "lllnnnnnnnnnoooo" "oo22rrrrrrssssss" "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";  // U+0140..U+017F

std::string_view TwoLetters(char32_t cp) {
  switch (cp) {
    case 0xC6: case 0xE6: return "ae";
    case 0xDE: case 0xFE: return "th";
    case 0xDF: return "ss";
    case 0x132: case 0x133: return "ij";
    default: return "oe";  // U+0152, U+0153
  }
}

// What a code point of folded text is matched as: curly and modifier apostrophes as ', accented
// Latin letters as their ASCII letters, combining accents (U+0300..U+036F) as nothing. nullopt:
// itself.
std::optional<std::string_view> MatchForm(char32_t cp) {
  if (cp == 0x2018 || cp == 0x2019 || cp == 0x201B || cp == 0x02BC) return "'";
  if (cp >= 0x0300 && cp <= 0x036F) return "";
  if (cp < 0xC0 || cp > 0x17F) return std::nullopt;
  char c = kLatinBase[cp - 0xC0];
  if (c == '.') return std::nullopt;
  if (c == '2') return TwoLetters(cp);
  return kLatinBase.substr(cp - 0xC0, 1);
}

// Replaces in folded text what MatchForm changes, keeping offsets (one per folded byte) aligned.
void FoldMatchForms(std::string* folded, std::vector<uint32_t>* offsets) {
  const std::string& f = *folded;
  // Lead bytes of U+00C0..U+017F, U+02BC, U+0300..U+036F and U+2018..U+201B; most text has none.
  auto may = [](char b) { return b == '\xC3' || b == '\xC4' || b == '\xC5' || b == '\xCA' || b == '\xCC' || b == '\xCD' || b == '\xE2'; };
  if (std::none_of(f.begin(), f.end(), may)) return;
  std::string out;
  std::vector<uint32_t> off;
  out.reserve(f.size());
  if (offsets) off.reserve(offsets->size());
  for (size_t i = 0; i < f.size();) {
    size_t b = i;
    char32_t cp = DecodeUtf8(f, i);
    std::optional<std::string_view> m = MatchForm(cp);
    std::string_view piece = m ? *m : std::string_view(f).substr(b, i - b);
    out.append(piece);
    if (offsets) off.insert(off.end(), piece.size(), (*offsets)[b]);
  }
  folded->swap(out);
  if (offsets) offsets->swap(off);
}

}  // namespace

std::string FoldForMatch(std::string_view s, std::vector<uint32_t>* offsets) {
  std::string out;
  out.reserve(s.size());
  if (offsets) offsets->clear();
  AppendFolded(s, true, &out, offsets);
  FoldMatchForms(&out, offsets);
  if (offsets) offsets->push_back(static_cast<uint32_t>(s.size()));
  return out;
}

void Gazetteer::Add(GazetteerEntry e) {
  built_ = false;
  for (auto& w : e.context) w = FoldForMatch(w);
  entries_.push_back(std::move(e));
}

uint32_t Gazetteer::Next(uint32_t state, unsigned char c) const {
  if (tkeys_.empty()) return kNone;
  uint64_t key = (static_cast<uint64_t>(state) << 8) | c;
  size_t mask = tkeys_.size() - 1;
  for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
    if (tkeys_[i] == key + 1) return tvals_[i];
    if (tkeys_[i] == 0) return kNone;
  }
}

void Gazetteer::SetNext(uint32_t state, unsigned char c, uint32_t to) {
  if ((tcount_ + 1) * 2 > tkeys_.size()) {  // grow, keeping the load under one half
    std::vector<uint64_t> keys(std::max<size_t>(64, tkeys_.size() * 2), 0);
    std::vector<uint32_t> vals(keys.size());
    size_t mask = keys.size() - 1;
    for (size_t j = 0; j < tkeys_.size(); ++j) {
      if (!tkeys_[j]) continue;
      size_t i = Mix(tkeys_[j] - 1) & mask;
      while (keys[i]) i = (i + 1) & mask;
      keys[i] = tkeys_[j];
      vals[i] = tvals_[j];
    }
    tkeys_.swap(keys);
    tvals_.swap(vals);
  }
  uint64_t key = (static_cast<uint64_t>(state) << 8) | c;
  size_t mask = tkeys_.size() - 1;
  size_t i = Mix(key) & mask;
  while (tkeys_[i] && tkeys_[i] != key + 1) i = (i + 1) & mask;
  if (!tkeys_[i]) ++tcount_;
  tkeys_[i] = key + 1;  // 0 marks an empty slot
  tvals_[i] = to;
}

void Gazetteer::Build() {
  patterns_.clear();
  readings_.clear();
  tkeys_.clear();
  tvals_.clear();
  tcount_ = 0;
  fail_.assign(1, 0);
  out_.assign(1, kNone);
  dict_.assign(1, kNone);
  depth_.assign(1, 0);
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t e = 0; e < entries_.size(); ++e) {
    std::string f = FoldForMatch(entries_[e].name);
    if (f.size() < min_bytes_) continue;
    auto [it, fresh] = index.emplace(f, static_cast<uint32_t>(patterns_.size()));
    if (fresh) {
      patterns_.push_back(f);
      readings_.emplace_back();
    }
    auto& r = readings_[it->second];
    bool dup = false;  // the same name, type and key twice is one reading
    for (uint32_t o : r) dup |= entries_[o].type == entries_[e].type && entries_[o].key == entries_[e].key;
    if (!dup) r.push_back(e);
  }
  // Trie.
  for (uint32_t p = 0; p < patterns_.size(); ++p) {
    uint32_t s = 0;
    for (unsigned char c : patterns_[p]) {
      uint32_t n = Next(s, c);
      if (n == kNone) {
        n = static_cast<uint32_t>(fail_.size());
        fail_.push_back(0);
        out_.push_back(kNone);
        dict_.push_back(kNone);
        depth_.push_back(depth_[s] + 1);
        SetNext(s, c, n);
      }
      s = n;
    }
    out_[s] = p;
  }
  // Failure links, breadth first. Children of a state are found by probing its 256 bytes;
  // building is rare and the name lists are small next to the texts.
  std::vector<std::vector<std::pair<unsigned char, uint32_t>>> children(fail_.size());
  for (size_t j = 0; j < tkeys_.size(); ++j)
    if (tkeys_[j]) {
      uint64_t k = tkeys_[j] - 1;
      children[k >> 8].emplace_back(static_cast<unsigned char>(k & 0xFF), tvals_[j]);
    }
  std::deque<uint32_t> q;
  for (auto [c, n] : children[0]) {
    fail_[n] = 0;
    q.push_back(n);
  }
  while (!q.empty()) {
    uint32_t s = q.front();
    q.pop_front();
    for (auto [c, n] : children[s]) {
      uint32_t f = fail_[s];
      uint32_t t;
      while ((t = Next(f, c)) == kNone && f != 0) f = fail_[f];
      fail_[n] = (t != kNone && t != n) ? t : 0;
      dict_[n] = out_[fail_[n]] != kNone ? fail_[n] : dict_[fail_[n]];
      q.push_back(n);
    }
  }
  built_ = true;
}

std::vector<Gazetteer::Raw> Gazetteer::FindAll(std::string_view folded) const {
  std::vector<Raw> out;
  if (!built_ || patterns_.empty()) return out;
  uint32_t s = 0;
  for (size_t i = 0; i < folded.size(); ++i) {
    auto c = static_cast<unsigned char>(folded[i]);
    uint32_t t;
    while ((t = Next(s, c)) == kNone && s != 0) s = fail_[s];
    s = t == kNone ? 0 : t;
    for (uint32_t o = out_[s] != kNone ? s : dict_[s]; o != kNone; o = dict_[o]) {
      uint32_t end = static_cast<uint32_t>(i + 1);
      out.push_back({end - depth_[o], end, out_[o]});
    }
  }
  return out;
}

uint32_t Gazetteer::Resolve(uint32_t pattern, std::string_view folded_text) const {
  const auto& r = readings_[pattern];
  uint32_t best = r[0];
  double best_score = -1e300;
  for (uint32_t e : r) {
    int hits = 0;
    for (const auto& w : entries_[e].context)
      if (!w.empty() && folded_text.find(w) != std::string_view::npos) ++hits;
    double score = hits * 100.0 + std::log(std::max(entries_[e].prior, 1e-9));
    if (score > best_score) best_score = score, best = e;
  }
  return best;
}

std::vector<GazetteerMatch> Gazetteer::Match(std::string_view text) const {
  std::vector<uint32_t> off;
  std::string folded = FoldForMatch(text, &off);
  std::vector<Raw> all = FindAll(folded);
  // Word boundaries for ASCII letters and digits; Han and other scripts need none. A neighbour
  // continues the word only if it is a letter or digit as written: "Apple™" folds to "appletm",
  // but ™ (like ℠, ², ½, ①) is a sign after the word, not more of it.
  auto continues = [&](uint32_t at) {
    if (!IsAsciiAlnum(folded[at])) return false;
    size_t i = off[at];
    const Script k = ScriptOf(DecodeUtf8(text, i));
    return k == Script::kDigit || k == Script::kUpper || k == Script::kLower;
  };
  auto ok = [&](const Raw& m) {
    if (IsAsciiAlnum(folded[m.begin]) && m.begin > 0 && continues(m.begin - 1)) return false;
    if (IsAsciiAlnum(folded[m.end - 1]) && m.end < folded.size() && continues(m.end)) return false;
    return true;
  };
  std::erase_if(all, [&](const Raw& m) { return !ok(m); });
  std::sort(all.begin(), all.end(), [](const Raw& a, const Raw& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<GazetteerMatch> out;
  uint32_t covered = 0;
  // A reading depends on the surface and the whole text only: resolved once per surface (a text
  // naming one brand thousands of times is not searched for its context thousands of times).
  std::unordered_map<uint32_t, uint32_t> reading;
  for (const Raw& m : all) {
    if (m.begin < covered) continue;
    auto [it, fresh] = reading.try_emplace(m.pattern, 0);
    if (fresh) it->second = Resolve(m.pattern, folded);
    out.push_back({off[m.begin], off[m.end], it->second});
    covered = m.end;
  }
  return out;
}

}  // namespace kgp::text
