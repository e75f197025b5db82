// Tokenizer of the native GGUF engine, built from the `tokenizer.ggml.*` metadata and meant to
// give the same token ids and text as llama.cpp (llama-vocab.cpp) for the vocabularies it
// supports:
//   - "llama" (SentencePiece BPE): scored merges of adjacent pieces, spaces as U+2581, a space
//     prefix, byte fallback through the <0xNN> tokens.
//   - "gpt2" (byte-level BPE): the pre-tokenizer regex named by tokenizer.ggml.pre ("gpt-2",
//     "llama-bpe", "qwen2" and their aliases; see unicode.h), then ranked merges.
// Special tokens (control, user-defined, unknown) are cut out of the text before either model
// runs, as llama.cpp's tokenizer_st_partition does. Algorithms and the reference test vectors:
// docs/llm-tokenizer.md.
// Ownership: FromGguf copies what it needs; the GgufFile may be closed afterwards.
// Thread safety: immutable after FromGguf, so every const method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "llm/engine/gguf.h"

namespace kgp::llm {

class Tokenizer {
 public:
  enum class Model : uint8_t { kSpm, kBpe };
  // Per-token attributes (llama.cpp's llama_token_attr), from tokenizer.ggml.token_type.
  enum Attr : uint8_t {
    kAttrNormal = 1 << 0,
    kAttrUnknown = 1 << 1,
    kAttrControl = 1 << 2,
    kAttrUserDefined = 1 << 3,
    kAttrUnused = 1 << 4,
    kAttrByte = 1 << 5,
    kAttrUndefined = 1 << 6,
  };

  // A damaged vocabulary (missing or mistyped keys, duplicate tokens, merges naming unknown
  // tokens, an unsupported model or pre-tokenizer) is an InvalidArgument naming the key.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& f);

  // llama_tokenize. add_special: BOS/EOS as add_bos()/add_eos() say. parse_special: control
  // tokens written in the text ("<|im_start|>") become single tokens; user-defined tokens are
  // always matched. Invalid UTF-8 never fails (bytes fall back to byte tokens or U+FFFD).
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // llama_token_to_piece with lstrip 0: the text of one token. Control and unknown tokens are
  // empty unless `special`; SPM pieces have U+2581 turned into spaces; byte tokens give their
  // byte (so a piece may be part of a UTF-8 sequence). Out-of-range ids give "".
  std::string TokenToPiece(int32_t id, bool special) const;

  // llama_detokenize: concatenated pieces. remove_special drops a leading BOS (when add_bos)
  // and a trailing EOS (when add_eos); unparse_special renders control tokens. SPM drops the
  // space prefix of the first piece unless it follows a removed BOS; gpt-2-style vocabularies
  // clean spaces before punctuation (" ," → ",") as llama.cpp does.
  std::string Decode(const std::vector<int32_t>& ids, bool remove_special, bool unparse_special) const;

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }  // -1 when the vocabulary has none
  int32_t unk() const { return unk_; }
  // End of generation: EOS, EOT, EOM and the tokens llama.cpp recognises by text (<|im_end|>,
  // <|eot_id|>, <|endoftext|>, ...).
  bool IsEog(int32_t id) const;
  int32_t n_vocab() const { return static_cast<int32_t>(tokens_.size()); }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }

  Model model() const { return model_; }
  const std::string& pre() const { return pre_; }  // tokenizer.ggml.pre as given ("" for SPM)
  // The id whose vocabulary text is exactly `text`, or -1.
  int32_t Find(std::string_view text) const;
  // Raw vocabulary text and attributes. REQUIRES: 0 <= id < n_vocab().
  const std::string& TokenText(int32_t id) const { return tokens_[static_cast<size_t>(id)].text; }
  uint8_t TokenAttr(int32_t id) const { return tokens_[static_cast<size_t>(id)].attr; }

 private:
  Tokenizer() = default;

  struct Token {
    std::string text;
    float score = 0;
    uint8_t attr = kAttrNormal;
  };
  // A stretch of the input: a special token (token >= 0) or raw text [begin, end).
  struct Fragment {
    int32_t token = -1;
    size_t begin = 0, end = 0;
  };
  // What a BPE merge of two adjacent tokens gives.
  struct Merge {
    int32_t rank = 0;
    int32_t result = 0;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  enum class Pre : uint8_t { kGpt2, kLlama3, kQwen2 };

  Status LoadTokens(const GgufFile& f);
  Status LoadSpecials(const GgufFile& f);
  void Partition(std::string_view text, bool parse_special, std::vector<Fragment>* out) const;
  std::string MakePiece(int32_t id) const;

  // tokenizer_spm.cc
  void EncodeSpm(std::string_view text, bool space_prefix, std::vector<int32_t>* out) const;
  void InitSpmBytes();
  // tokenizer_bpe.cc
  Status LoadBpe(const GgufFile& f);
  void EncodeBpe(std::string_view text, std::vector<int32_t>* out) const;

  Model model_ = Model::kSpm;
  std::string pre_;
  Pre pre_split_ = Pre::kGpt2;
  std::vector<Token> tokens_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> index_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: left id << 32 | right id
  std::vector<int32_t> specials_;               // special-token ids, longest text first
  bool has_user_defined_ = false;
  std::vector<std::string> pieces_;  // TokenToPiece(id, true) of every id
  std::vector<int32_t> eog_;         // sorted
  int32_t spm_bytes_[256] = {};      // SPM: the token of each byte (-1: none, use unk)
  int32_t bos_ = -1, eos_ = -1, eot_ = -1, eom_ = -1, unk_ = -1;
  bool add_bos_ = false, add_eos_ = false;
  bool add_space_prefix_ = false;  // SPM: prefix text with a space (U+2581)
  bool clean_spaces_ = false;      // Decode: " ," → "," and friends
  bool ignore_merges_ = false;     // BPE (llama3): a word that is a token is taken whole
};

}  // namespace kgp::llm
