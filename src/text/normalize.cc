#include "text/normalize.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <memory>

#include "common/strings.h"

namespace kgp::text {
namespace {

const icu::Normalizer2* Nfkc() {
  static const icu::Normalizer2* n = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* p = icu::Normalizer2::getNFKCInstance(err);
    // ICU's data is linked in; failing here means a broken installation.
    if (U_FAILURE(err)) throw Error(Status::Internal(std::string("ICU NFKC unavailable: ") + u_errorName(err)));
    return p;
  }();
  return n;
}

}  // namespace

char32_t DecodeUtf8(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  char32_t cp = b & (0x3F >> n);
  ++i;
  for (int k = 0; k < n && i < s.size(); ++k, ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  return cp;
}

std::vector<Char> FoldChars(std::string_view s) {
  std::vector<Char> out;
  out.reserve(s.size());
  const icu::Normalizer2* nfkc = Nfkc();
  for (size_t i = 0; i < s.size();) {
    Char c;
    c.begin = static_cast<uint32_t>(i);
    c.cp = DecodeUtf8(s, i);
    c.end = static_cast<uint32_t>(i);
    char32_t cp = c.cp;
    // Fast paths for the common cases: ASCII, full-width ASCII, the ideographic space.
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
    else if (cp == 0x3000) cp = ' ';
    if (cp < 0x80 || nfkc->isInert(static_cast<UChar32>(cp))) {
      AppendUtf8(cp, &c.folded);
    } else {
      UErrorCode err = U_ZERO_ERROR;
      icu::UnicodeString u = nfkc->normalize(icu::UnicodeString(static_cast<UChar32>(cp)), err);
      if (U_FAILURE(err)) AppendUtf8(cp, &c.folded);
      else u.toUTF8String(c.folded);
    }
    out.push_back(std::move(c));
  }
  return out;
}

void AppendFolded(std::string_view s, bool lower_ascii, std::string* out, std::vector<uint32_t>* offsets) {
  const icu::Normalizer2* nfkc = Nfkc();
  for (size_t i = 0; i < s.size();) {
    size_t begin = i;
    char32_t cp = DecodeUtf8(s, i);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
    else if (cp == 0x3000) cp = ' ';
    size_t before = out->size();
    if (cp < 0x80) {
      out->push_back(static_cast<char>(lower_ascii && cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp));
    } else if (nfkc->isInert(static_cast<UChar32>(cp))) {
      AppendUtf8(cp, out);
    } else {
      UErrorCode err = U_ZERO_ERROR;
      icu::UnicodeString u = nfkc->normalize(icu::UnicodeString(static_cast<UChar32>(cp)), err);
      std::string f;
      if (U_FAILURE(err)) AppendUtf8(cp, &f);
      else u.toUTF8String(f);
      for (char& b : f)
        if (lower_ascii && b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
      out->append(f);
    }
    if (offsets) offsets->insert(offsets->end(), out->size() - before, static_cast<uint32_t>(begin));
  }
}

Result<std::string> NormalizeNfkc(std::string_view s) {
  if (!IsValidUtf8(s)) return Status::InvalidArgument("text is not valid UTF-8");
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString u = Nfkc()->normalize(
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size()))), err);
  if (U_FAILURE(err)) return Status::InvalidArgument(std::string("NFKC failed: ") + u_errorName(err));
  std::string out;
  u.toUTF8String(out);
  return out;
}

Script ScriptOf(char32_t cp) {
  if (cp < 0x80) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return Script::kSpace;
    if (cp >= '0' && cp <= '9') return Script::kDigit;
    if (cp >= 'A' && cp <= 'Z') return Script::kUpper;
    if (cp >= 'a' && cp <= 'z') return Script::kLower;
    return Script::kPunct;
  }
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return Script::kHan;
  auto c = static_cast<UChar32>(cp);
  if (u_isUWhiteSpace(c)) return Script::kSpace;
  if (u_isdigit(c)) return Script::kDigit;
  if (u_isupper(c)) return Script::kUpper;
  if (u_islower(c)) return Script::kLower;
  if (u_ispunct(c)) return Script::kPunct;
  return Script::kOther;
}

std::vector<Token> TokenizeEnglish(std::string_view s) {
  std::vector<Token> out;
  auto word_char = [](Script k) { return k == Script::kDigit || k == Script::kUpper || k == Script::kLower || k == Script::kHan || k == Script::kOther; };
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    char32_t cp = DecodeUtf8(s, i);
    Script k = ScriptOf(cp);
    if (k == Script::kSpace) continue;
    if (!word_char(k)) {
      out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i), s.substr(start, i - start)});
      continue;
    }
    size_t end = i;
    while (i < s.size()) {
      size_t j = i;
      char32_t c = DecodeUtf8(s, j);
      if (word_char(ScriptOf(c))) {
        i = end = j;
        continue;
      }
      // Inner apostrophe or hyphen joins two word parts: "don't", "wi-fi".
      if ((c == '\'' || c == '-') && j < s.size()) {
        size_t m = j;
        if (word_char(ScriptOf(DecodeUtf8(s, m)))) {
          i = end = m;
          continue;
        }
      }
      break;
    }
    out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(end), s.substr(start, end - start)});
  }
  return out;
}

std::vector<Token> WordBreaks(std::string_view s) {
  std::vector<Token> out;
  UErrorCode err = U_ZERO_ERROR;
  // A UTF-8 UText makes ICU's boundaries byte offsets into s.
  UText* ut = utext_openUTF8(nullptr, s.data(), static_cast<int64_t>(s.size()), &err);
  // Creating a break iterator loads its rules and dictionaries: one per thread, reused.
  thread_local std::unique_ptr<icu::BreakIterator> cached;
  if (!cached) {
    UErrorCode e2 = U_ZERO_ERROR;
    cached.reset(icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), e2));
    if (U_FAILURE(e2)) cached.reset();
  }
  icu::BreakIterator* bi = cached.get();
  if (U_FAILURE(err) || !bi) {
    utext_close(ut);
    return TokenizeEnglish(s);
  }
  bi->setText(ut, err);
  int32_t prev = bi->first();
  for (int32_t b = bi->next(); b != icu::BreakIterator::DONE; prev = b, b = bi->next()) {
    std::string_view w = s.substr(static_cast<size_t>(prev), static_cast<size_t>(b - prev));
    size_t k = 0;
    if (ScriptOf(DecodeUtf8(w, k)) == Script::kSpace) continue;
    out.push_back({static_cast<uint32_t>(prev), static_cast<uint32_t>(b), w});
  }
  // The iterator keeps a pointer to ut: give it an empty text before closing ours.
  static const icu::UnicodeString kEmpty;
  bi->setText(kEmpty);
  utext_close(ut);
  return out;
}

std::string_view GuessLanguage(std::string_view s) {
  size_t han = 0, letters = 0;
  for (size_t i = 0; i < s.size();) {
    Script k = ScriptOf(DecodeUtf8(s, i));
    if (k == Script::kHan) ++han, ++letters;
    else if (k == Script::kUpper || k == Script::kLower) ++letters;
  }
  return letters > 0 && han * 5 >= letters ? "zh" : "en";
}

}  // namespace kgp::text
