// Unicode text handling for the text stage: UTF-8 decoding, NFKC normalisation with
// full-width/half-width folding (ICU), Chinese word breaks (ICU dictionary break iterator) and a
// plain English tokenizer. Offsets are byte offsets into the caller's original string, so that
// every extracted span can cite its evidence in the stored text.
// Thread safety: all functions are safe to call from several threads (ICU singletons are
// immutable; break iterators are created per call).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/strings.h"

namespace kgp::text {

// One code point of a text: its byte span in the original and its folded form (NFKC,
// full-width ASCII to half-width, U+3000 to a space). Lower-casing is left to features.
struct Char {
  uint32_t begin = 0, end = 0;  // bytes [begin, end) in the original string
  char32_t cp = 0;              // the original code point
  std::string folded;           // NFKC of this code point, UTF-8 (may be several bytes or empty)
};

// Splits valid UTF-8 into code points with their folded forms. REQUIRES: IsValidUtf8(s).
std::vector<Char> FoldChars(std::string_view s);

// Appends the folded form of s (as FoldChars, without the spans) to out; lower_ascii also
// lower-cases ASCII letters. offsets (optional) gets, per appended byte, the byte of s it came
// from. The allocation-free path for hot loops. REQUIRES: valid UTF-8.
void AppendFolded(std::string_view s, bool lower_ascii, std::string* out, std::vector<uint32_t>* offsets = nullptr);

// Whole-string NFKC (ICU), which also folds full-width forms to half-width. Invalid UTF-8
// is an InvalidArgument error.
Result<std::string> NormalizeNfkc(std::string_view s);

// Decodes the code point starting at s[i]; advances i. REQUIRES: valid UTF-8.
// (Encoding is AppendUtf8 in common/strings.h.)
char32_t DecodeUtf8(std::string_view s, size_t& i);

// A word or punctuation token with its byte span.
struct Token {
  uint32_t begin = 0, end = 0;
  std::string_view text;  // view into the original string
};

// English: runs of letters/digits (with inner apostrophes and hyphens, "don't", "wi-fi") and
// single punctuation marks. Non-ASCII letters count as letters.
std::vector<Token> TokenizeEnglish(std::string_view s);

// Chinese (and mixed) text: ICU word boundaries (dictionary based for Han), whitespace dropped.
// REQUIRES: valid UTF-8.
std::vector<Token> WordBreaks(std::string_view s);

// Coarse script of a code point, for features and language guessing.
enum class Script : uint8_t { kSpace, kDigit, kUpper, kLower, kHan, kPunct, kOther };
Script ScriptOf(char32_t cp);

// "zh" when Han characters make up at least a fifth of the letters, else "en".
std::string_view GuessLanguage(std::string_view s);

}  // namespace kgp::text
