#include "llm/engine/unicode.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <array>

namespace kgp::llm {

size_t Utf8SeqLen(char lead) {
  static constexpr size_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(lead) >> 4];
}

namespace {

// Code points of a text with the byte span each came from; `bad` marks bytes that were not
// well-formed UTF-8 (decoded as U+FFFD).
struct Decoded {
  std::vector<char32_t> cps;
  std::vector<uint32_t> begin;  // byte offset of each code point, plus the text size at the end
  std::vector<bool> bad;
};

void Decode(std::string_view s, Decoded* d) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  d->cps.reserve(s.size());
  d->begin.reserve(s.size() + 1);
  int32_t i = 0;
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    const bool bad = c < 0;
    if (bad) {  // one U+FFFD per byte, as llama.cpp (ICU would swallow a maximal subpart)
      c = 0xFFFD;
      i = start + 1;
    }
    d->cps.push_back(static_cast<char32_t>(c));
    d->begin.push_back(static_cast<uint32_t>(start));
    d->bad.push_back(bad);
  }
  d->begin.push_back(static_cast<uint32_t>(n));
}

struct ByteTables {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 512> to_byte;  // every mapped code point is below 0x144
};

const ByteTables& Tables() {
  static const ByteTables t = [] {
    ByteTables b;
    b.to_byte.fill(-1);
    auto keeps_itself = [](int ch) {
      return (ch >= 0x21 && ch <= 0x7E) || (ch >= 0xA1 && ch <= 0xAC) || (ch >= 0xAE && ch <= 0xFF);
    };
    int extra = 0;
    for (int ch = 0; ch < 256; ++ch) {
      const int cp = keeps_itself(ch) ? ch : 256 + extra++;
      std::string& u = b.to_unicode[static_cast<size_t>(ch)];
      uint8_t buf[4];
      int32_t len = 0;
      U8_APPEND_UNSAFE(buf, len, cp);
      u.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
      b.to_byte[static_cast<size_t>(cp)] = static_cast<int16_t>(ch);
    }
    return b;
  }();
  return t;
}

// Walks one text the way the regex alternatives would and records word boundaries (in code
// points). Positions past the end have class 0 and are not "present".
class Splitter {
 public:
  Splitter(const std::vector<char32_t>& cps, PreSplit style) : cps_(cps), style_(style) {
    cls_.resize(cps.size());
    for (size_t i = 0; i < cps.size(); ++i) cls_[i] = ClassOf(cps[i]);
  }

  std::vector<size_t> Run() {
    const size_t n = cps_.size();
    size_t pos = 0;
    while (pos < n) {
      size_t end = style_ == PreSplit::kGpt2 ? StepGpt2(pos) : StepLlama3(pos);
      ends_.push_back(end);
      pos = end;
    }
    return std::move(ends_);
  }

 private:
  bool Has(size_t p) const { return p < cps_.size(); }
  char32_t Cp(size_t p) const { return Has(p) ? cps_[p] : 0xFFFFFFFF; }
  uint8_t Cls(size_t p) const { return Has(p) ? cls_[p] : 0; }
  bool Letter(size_t p) const { return Cls(p) & kCpLetter; }
  bool Number(size_t p) const { return Cls(p) & kCpNumber; }
  bool Space(size_t p) const { return Cls(p) & kCpSpace; }
  // [^\s\p{L}\p{N}]: any present code point outside the three classes.
  bool Other(size_t p) const { return Has(p) && !(cls_[p] & (kCpLetter | kCpNumber | kCpSpace)); }
  static bool IsCrLf(char32_t c) { return c == '\r' || c == '\n'; }

  // 's|'t|'re|'ve|'m|'ll|'d (case-insensitive for llama3/qwen2); returns the end or 0.
  size_t Contraction(size_t pos, bool fold) const {
    if (Cp(pos) != '\'' || !Has(pos + 1)) return 0;
    auto lower = [&](size_t p) -> char32_t { return fold ? static_cast<char32_t>(u_tolower(static_cast<UChar32>(Cp(p)))) : Cp(p); };
    const char32_t a = lower(pos + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 2;
    if (!Has(pos + 2)) return 0;
    const char32_t b = lower(pos + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return pos + 3;
    return 0;
  }

  // \s+(?!\S) then \s+: a whitespace run gives its last code point to the word that follows.
  size_t Whitespace(size_t pos) const {
    size_t k = 0;
    while (Space(pos + k)) ++k;
    if (k > 1 && Has(pos + k)) return pos + k - 1;
    if (k > 0) return pos + k;
    return pos + 1;  // matched by no alternative: a word of its own
  }

  size_t StepGpt2(size_t pos) const {
    if (size_t e = Contraction(pos, false)) return e;
    const size_t q = pos + (Cp(pos) == ' ' ? 1 : 0);  // the optional leading space
    if (Letter(q)) {
      size_t e = q;
      while (Letter(e)) ++e;
      return e;
    }
    if (Number(q)) {
      size_t e = q;
      while (Number(e)) ++e;
      return e;
    }
    if (Other(q)) {
      size_t e = q;
      while (Other(e)) ++e;
      return e;
    }
    return Whitespace(pos);
  }

  size_t StepLlama3(size_t pos) const {
    if (size_t e = Contraction(pos, true)) return e;
    const char32_t c = Cp(pos);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!IsCrLf(c) && !Number(pos) && (Letter(pos) || Letter(pos + 1))) {
      size_t e = pos + 1;
      while (Letter(e)) ++e;
      return e;
    }
    // \p{N}{1,3} (qwen2: \p{N})
    if (Number(pos)) {
      const size_t max_digits = style_ == PreSplit::kQwen2 ? 1 : 3;
      size_t e = pos;
      while (Number(e) && e - pos < max_digits) ++e;
      return e;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    const size_t q = pos + (c == ' ' ? 1 : 0);
    if (Other(q) || (c == ' ' && !Has(q))) {
      size_t e = q;
      while (Other(e)) ++e;
      while (Has(e) && IsCrLf(cps_[e])) ++e;
      return e;
    }
    // \s*[\r\n]+: up to the last CR/LF of the whitespace run
    size_t last_crlf = 0;
    for (size_t k = pos; Space(k); ++k) {
      if (IsCrLf(cps_[k])) last_crlf = k + 1;
    }
    if (last_crlf > 0) return last_crlf;
    return Whitespace(pos);
  }

  const std::vector<char32_t>& cps_;
  PreSplit style_;
  std::vector<uint8_t> cls_;
  std::vector<size_t> ends_;
};

}  // namespace

std::vector<char32_t> DecodeCodepoints(std::string_view s) {
  Decoded d;
  Decode(s, &d);
  return std::move(d.cps);
}

uint8_t ClassOf(char32_t cp) {
  if (cp < 0x80) {  // fast path; same answers as ICU
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return kCpLetter;
    if (cp >= '0' && cp <= '9') return kCpNumber;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return kCpSpace;
    return 0;
  }
  const auto c = static_cast<UChar32>(cp);
  uint8_t r = 0;
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_L_MASK) r |= kCpLetter;
  if (mask & U_GC_N_MASK) r |= kCpNumber;
  if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) r |= kCpSpace;
  return r;
}

void PreTokenize(std::string_view text, PreSplit style, std::vector<std::string>* words) {
  Decoded d;
  Decode(text, &d);
  const std::vector<size_t> ends = Splitter(d.cps, style).Run();
  const ByteTables& t = Tables();
  static const std::string kReplacement = "\xEF\xBF\xBD";
  size_t start = 0;
  for (size_t end : ends) {
    std::string w;
    w.reserve((d.begin[end] - d.begin[start]) * 2);
    for (size_t i = start; i < end; ++i) {
      std::string_view bytes = d.bad[i] ? std::string_view(kReplacement)
                                        : text.substr(d.begin[i], d.begin[i + 1] - d.begin[i]);
      for (char ch : bytes) w += t.to_unicode[static_cast<uint8_t>(ch)];
    }
    words->push_back(std::move(w));
    start = end;
  }
}

const std::string& ByteToUnicode(uint8_t b) { return Tables().to_unicode[b]; }

int UnicodeToByte(char32_t cp) {
  return cp < Tables().to_byte.size() ? Tables().to_byte[cp] : -1;
}

}  // namespace kgp::llm
