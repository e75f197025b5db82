// Unicode helpers of the tokenizers: UTF-8 splitting as llama.cpp does it, code point classes
// (ICU), GPT-2's byte-to-unicode table and the hand-written pre-tokenizer splitters that stand
// in for the regexes of `tokenizer.ggml.pre` (no std::regex: it is slow and its \s, \p{L}
// differ from the Rust/Python regex engines the reference tokenizers use).
// Thread safety: every function is safe to call concurrently (tables are built once, immutable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kgp::llm {

// Bytes of the UTF-8 sequence announced by `lead` (1 for ASCII, continuation and invalid bytes),
// like llama.cpp's unicode_len_utf8: the SPM tokenizer splits text this way without validating.
size_t Utf8SeqLen(char lead);

// Code points of `s` (ICU U8_NEXT). A byte that does not start a well-formed sequence becomes
// one U+FFFD and decoding resumes at the next byte (llama.cpp's unicode_cpts_from_utf8).
std::vector<char32_t> DecodeCodepoints(std::string_view s);

// The classes the pre-tokenizer regexes use: \p{L}, \p{N}, \s (Unicode White_Space).
enum CpClass : uint8_t {
  kCpLetter = 1 << 0,
  kCpNumber = 1 << 1,
  kCpSpace = 1 << 2,
};
uint8_t ClassOf(char32_t cp);

// The pre-tokenizer regexes implemented here (llama.cpp's names in tokenizer.ggml.pre):
//   kGpt2   ("gpt-2"):     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kLlama3 ("llama-bpe"): (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//                          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kQwen2  ("qwen2"):     as kLlama3 but \p{N} (one digit per word)
enum class PreSplit : uint8_t { kGpt2, kLlama3, kQwen2 };

// Splits `text` into words as the regex would (each match, and each unmatched code point, is a
// word) and appends them to `words` byte-level encoded (every UTF-8 byte mapped through
// ByteToUnicode), ready for BPE merges.
void PreTokenize(std::string_view text, PreSplit style, std::vector<std::string>* words);

// GPT-2's reversible byte → code point table ("Ġ" for the space byte), UTF-8 encoded.
const std::string& ByteToUnicode(uint8_t b);
// The inverse; -1 for a code point that stands for no byte.
int UnicodeToByte(char32_t cp);

}  // namespace kgp::llm
