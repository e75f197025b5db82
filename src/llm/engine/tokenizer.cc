// Loading, special-token partition, pieces and detokenization; the two models are in
// tokenizer_spm.cc and tokenizer_bpe.cc.
#include "llm/engine/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "llm/engine/unicode.h"

namespace kgp::llm {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// GGUF token types (tokenizer.ggml.token_type) → attributes.
uint8_t AttrOfType(int64_t type) {
  switch (type) {
    case 1: return Tokenizer::kAttrNormal;
    case 2: return Tokenizer::kAttrUnknown;
    case 3: return Tokenizer::kAttrControl;
    case 4: return Tokenizer::kAttrUserDefined;
    case 5: return Tokenizer::kAttrUnused;
    case 6: return Tokenizer::kAttrByte;
    default: return Tokenizer::kAttrUndefined;
  }
}

bool IsIntegerType(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kU16: case GgufType::kI16:
    case GgufType::kU32: case GgufType::kI32: case GgufType::kU64: case GgufType::kI64:
      return true;
    default:
      return false;
  }
}

// Texts llama.cpp treats as end of generation whatever the metadata says (llama-vocab.cpp).
constexpr std::array<std::string_view, 11> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>", "<|file_sep|>"};
// EOT when tokenizer.ggml.eot_token_id is absent: the first of these the vocabulary has.
constexpr std::array<std::string_view, 7> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<|end_of_text|>"};

// "<0xNN>" → NN, or -1.
int ParseByteToken(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s->size());
  size_t pos = 0;
  for (size_t hit; (hit = s->find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(*s, pos, hit - pos);
    out += to;
  }
  out.append(*s, pos);
  *s = std::move(out);
}

// llama.cpp's clean_spaces passes of llama_detokenize (for gpt-2-style vocabularies).
std::string CleanSpaces(std::string s) {
  if (s.empty()) return s;
  std::string out;
  // " ?", " !", " .", " ," lose the space
  out += s[0];
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
    out += x;
  }
  // " ' " → "'"
  s = std::move(out);
  out.clear();
  out += s[0];
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (x == '\'' && i + 1 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ') {
      out.pop_back();
      s[++i] = '\0';  // the next space is dropped; it no longer counts as a space
    }
    out += x;
  }
  // " 's", " 'm", " 're", " 've" lose the space
  s = std::move(out);
  out.clear();
  out += s[0];
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (s[i - 1] == ' ' && x == '\'' && i + 1 < s.size()) {
      const char x1 = s[i + 1];
      if (x1 == 's' || x1 == 'm') {
        out.pop_back();
      } else if (i + 2 < s.size()) {
        const char x2 = s[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) out.pop_back();
      }
    }
    out += x;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& f) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  KGP_RETURN_IF_ERROR(t->LoadTokens(f));
  if (t->model_ == Model::kBpe) KGP_RETURN_IF_ERROR(t->LoadBpe(f));
  KGP_RETURN_IF_ERROR(t->LoadSpecials(f));
  if (t->model_ == Model::kSpm) t->InitSpmBytes();
  t->pieces_.resize(t->tokens_.size());
  for (size_t id = 0; id < t->tokens_.size(); ++id) t->pieces_[id] = t->MakePiece(static_cast<int32_t>(id));
  return t;
}

Status Tokenizer::LoadTokens(const GgufFile& f) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(fmt::format("{}: tokenizer: {}", f.path(), what));
  };
  Result<std::string> model = f.GetString("tokenizer.ggml.model");
  if (!model.ok()) return bad(model.status().message());
  if (*model == "llama") {
    model_ = Model::kSpm;
    bos_ = 1, eos_ = 2, unk_ = 0;
    add_bos_ = true;
    add_space_prefix_ = true;
  } else if (*model == "gpt2") {
    model_ = Model::kBpe;
    clean_spaces_ = true;
    Result<std::string> pre = f.GetString("tokenizer.ggml.pre", "");
    if (!pre.ok()) return bad(pre.status().message());
    pre_ = *pre;
    // llama.cpp's names for the three regexes implemented in unicode.cc.
    if (pre_ == "gpt-2" || pre_ == "phi-2" || pre_ == "jina-es" || pre_ == "jina-de" ||
        pre_ == "gigachat" || pre_ == "jina-v2-es" || pre_ == "jina-v2-de" || pre_ == "mpt" ||
        pre_ == "olmo" || pre_ == "jais") {
      pre_split_ = Pre::kGpt2;
    } else if (pre_ == "llama3" || pre_ == "llama-v3" || pre_ == "llama-bpe" || pre_ == "falcon3" ||
               pre_ == "pixtral") {
      pre_split_ = Pre::kLlama3;
      ignore_merges_ = true;
      add_bos_ = true;
    } else if (pre_ == "dbrx" || pre_ == "smaug-bpe") {
      pre_split_ = Pre::kLlama3;
    } else if (pre_ == "qwen2" || pre_ == "deepseek-r1-qwen" || pre_ == "megrez") {
      pre_split_ = Pre::kQwen2;
      clean_spaces_ = false;
    } else if (pre_ == "stablelm2") {
      pre_split_ = Pre::kQwen2;
    } else {
      return bad(fmt::format("unsupported tokenizer.ggml.pre '{}' (supported: gpt-2, llama-bpe, qwen2 "
                             "and their aliases)", pre_));
    }
  } else {
    return bad(fmt::format("unsupported tokenizer.ggml.model '{}' (supported: llama, gpt2)", *model));
  }
  if (const GgufValue* v = f.Find("tokenizer.ggml.add_space_prefix")) {
    if (v->type != GgufType::kBool) return bad("tokenizer.ggml.add_space_prefix is not a bool");
    add_space_prefix_ = model_ == Model::kSpm && v->u != 0;
  }

  Result<const GgufValue*> toks = f.GetArray("tokenizer.ggml.tokens");
  if (!toks.ok()) return bad(toks.status().message());
  const GgufValue& tv = **toks;
  if (tv.elem != GgufType::kString) return bad("tokenizer.ggml.tokens is not an array of strings");
  const size_t n = tv.strs.size();
  if (n == 0) return bad("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return bad("tokenizer.ggml.tokens is too large");

  const GgufValue* scores = f.Find("tokenizer.ggml.scores");
  if (scores != nullptr) {
    if (scores->type != GgufType::kArray || scores->elem == GgufType::kString || scores->elem == GgufType::kArray)
      return bad("tokenizer.ggml.scores is not an array of numbers");
    if (scores->nums.size() < n)
      return bad(fmt::format("tokenizer.ggml.scores has {} entries for {} tokens", scores->nums.size(), n));
  }
  const GgufValue* types = f.Find("tokenizer.ggml.token_type");
  if (types != nullptr) {
    if (types->type != GgufType::kArray || !IsIntegerType(types->elem))
      return bad("tokenizer.ggml.token_type is not an array of integers");
    if (types->nums.size() < n)
      return bad(fmt::format("tokenizer.ggml.token_type has {} entries for {} tokens", types->nums.size(), n));
  }

  tokens_.resize(n);
  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Token& tok = tokens_[i];
    tok.text = tv.strs[i];
    if (tok.text.empty()) tok.text = fmt::format("[EMPTY_{}]", i);  // as llama.cpp
    tok.score = scores != nullptr ? static_cast<float>(scores->nums[i]) : 0.0f;
    tok.attr = types != nullptr ? AttrOfType(static_cast<int64_t>(types->nums[i])) : uint8_t{kAttrNormal};
    auto [it, inserted] = index_.emplace(tok.text, static_cast<int32_t>(i));
    if (!inserted) return bad(fmt::format("duplicate token '{}' (ids {} and {})", tok.text, it->second, i));
  }
  return Status::Ok();
}

Status Tokenizer::LoadSpecials(const GgufFile& f) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(fmt::format("{}: tokenizer: {}", f.path(), what));
  };
  const int64_t n = n_vocab();
  int32_t fim_pad = -1, fim_rep = -1, fim_sep = -1;
  const std::pair<const char*, int32_t*> keys[] = {
      {"tokenizer.ggml.bos_token_id", &bos_},         {"tokenizer.ggml.eos_token_id", &eos_},
      {"tokenizer.ggml.unknown_token_id", &unk_},     {"tokenizer.ggml.eot_token_id", &eot_},
      {"tokenizer.ggml.eom_token_id", &eom_},         {"tokenizer.ggml.fim_pad_token_id", &fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &fim_rep},  {"tokenizer.ggml.fim_sep_token_id", &fim_sep},
  };
  for (auto [key, id] : keys) {
    if (*id >= n) *id = -1;  // a default outside this vocabulary
    const GgufValue* v = f.Find(key);
    if (v == nullptr) continue;
    if (!IsIntegerType(v->type)) return bad(fmt::format("{} is not an integer", key));
    // Out of range (e.g. 0xFFFFFFFF for "none"): llama.cpp warns and keeps the default.
    if (v->i >= 0 && v->i < n) *id = static_cast<int32_t>(v->i);
  }
  for (auto [key, flag] : {std::pair{"tokenizer.ggml.add_bos_token", &add_bos_},
                           std::pair{"tokenizer.ggml.add_eos_token", &add_eos_}}) {
    if (!f.Has(key)) continue;
    Result<bool> b = f.GetBool(key);
    if (!b.ok()) return bad(b.status().message());
    *flag = *b;
  }
  if (add_bos_ && bos_ < 0) return bad("add_bos_token is true but there is no valid bos_token_id");
  if (add_eos_ && eos_ < 0) return bad("add_eos_token is true but there is no valid eos_token_id");

  // End of generation, recognised by text as llama.cpp does; such tokens become control tokens.
  for (int32_t id = 0; id < n; ++id) {
    Token& tok = tokens_[static_cast<size_t>(id)];
    const bool eog = std::find(kEogTexts.begin(), kEogTexts.end(), tok.text) != kEogTexts.end();
    if (eom_ < 0 && tok.text == "<|eom_id|>") eom_ = id;
    if (eog) {
      eog_.push_back(id);
      tok.attr |= kAttrControl;
    }
  }
  for (std::string_view text : kEotTexts) {  // in this order of preference
    if (eot_ < 0) eot_ = Find(text);
  }
  for (int32_t id : {eos_, eot_, eom_, fim_pad, fim_rep, fim_sep}) {
    if (id >= 0) eog_.push_back(id);
  }
  std::sort(eog_.begin(), eog_.end());
  eog_.erase(std::unique(eog_.begin(), eog_.end()), eog_.end());

  for (int32_t id = 0; id < n; ++id) {
    const uint8_t a = tokens_[static_cast<size_t>(id)].attr;
    if (a & (kAttrControl | kAttrUserDefined | kAttrUnknown)) specials_.push_back(id);
    if (a & kAttrUserDefined) has_user_defined_ = true;
  }
  std::stable_sort(specials_.begin(), specials_.end(), [&](int32_t a, int32_t b) {
    return tokens_[static_cast<size_t>(a)].text.size() > tokens_[static_cast<size_t>(b)].text.size();
  });
  return Status::Ok();
}

int32_t Tokenizer::Find(std::string_view text) const {
  auto it = index_.find(text);
  return it == index_.end() ? -1 : it->second;
}

bool Tokenizer::IsEog(int32_t id) const { return std::binary_search(eog_.begin(), eog_.end(), id); }

void Tokenizer::Partition(std::string_view text, bool parse_special, std::vector<Fragment>* out) const {
  out->assign(1, Fragment{-1, 0, text.size()});
  if (!parse_special && !has_user_defined_) return;
  std::vector<Fragment> next;
  for (int32_t id : specials_) {
    const Token& sp = tokens_[static_cast<size_t>(id)];
    // Control and unknown tokens only when asked; user-defined tokens always (as HF does).
    if (!parse_special && (sp.attr & (kAttrControl | kAttrUnknown))) continue;
    next.clear();
    bool changed = false;
    for (const Fragment& fr : *out) {
      if (fr.token >= 0) {
        next.push_back(fr);
        continue;
      }
      size_t pos = fr.begin;
      const std::string_view region = text.substr(0, fr.end);
      for (size_t hit; (hit = region.find(sp.text, pos)) != std::string_view::npos;) {
        if (hit > pos) next.push_back(Fragment{-1, pos, hit});
        next.push_back(Fragment{id, hit, hit + sp.text.size()});
        pos = hit + sp.text.size();
        changed = true;
      }
      if (pos < fr.end) next.push_back(Fragment{-1, pos, fr.end});
    }
    if (changed) out->swap(next);
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  std::vector<Fragment> frags;
  if (!text.empty()) Partition(text, parse_special, &frags);
  if (add_special && add_bos_) out.push_back(bos_);
  bool prev_special = true;  // SPM: the first text and text after a special token get a space prefix
  for (const Fragment& fr : frags) {
    if (fr.token >= 0) {
      out.push_back(fr.token);
      prev_special = true;
      continue;
    }
    const std::string_view piece = text.substr(fr.begin, fr.end - fr.begin);
    if (model_ == Model::kSpm) {
      EncodeSpm(piece, add_space_prefix_ && prev_special, &out);
    } else {
      EncodeBpe(piece, &out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_) out.push_back(eos_);
  return out;
}

std::string Tokenizer::MakePiece(int32_t id) const {
  const Token& t = tokens_[static_cast<size_t>(id)];
  if (t.attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t.text;
  if (t.attr & kAttrNormal) {
    if (model_ == Model::kSpm) {
      std::string s = t.text;
      ReplaceAll(&s, kSpace, " ");
      return s;
    }
    // Byte-level BPE: every code point stands for one byte. One that does not is shown as
    // llama.cpp's llama_decode_text shows it.
    std::string s;
    for (char32_t cp : DecodeCodepoints(t.text)) {
      const int b = UnicodeToByte(cp);
      if (b >= 0) {
        s += static_cast<char>(b);
        continue;
      }
      std::string utf8;
      AppendUtf8(cp, &utf8);
      s += "[UNK_BYTE_0x";
      for (char ch : utf8) s += fmt::format("{:02x}", static_cast<uint8_t>(ch));
      s += t.text + "]";
    }
    return s;
  }
  if (t.attr & kAttrByte) {
    const int b = ParseByteToken(t.text);
    return b < 0 ? std::string() : std::string(1, static_cast<char>(b));
  }
  return std::string();  // unused and undefined tokens render as nothing
}

std::string Tokenizer::TokenToPiece(int32_t id, bool special) const {
  if (id < 0 || id >= n_vocab()) return std::string();
  if (!special && (tokens_[static_cast<size_t>(id)].attr & (kAttrUnknown | kAttrControl))) return std::string();
  return pieces_[static_cast<size_t>(id)];
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool remove_special, bool unparse_special) const {
  size_t b = 0, e = ids.size();
  bool remove_space = add_space_prefix_;
  if (remove_special && add_bos_ && e > 0 && ids[0] == bos_) {
    remove_space = false;
    b = 1;
  }
  if (remove_special && add_eos_ && e > b && ids[e - 1] == eos_) --e;
  std::string text;
  for (size_t i = b; i < e; ++i) {
    std::string piece = TokenToPiece(ids[i], unparse_special);
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    text += piece;
  }
  return clean_spaces_ ? CleanSpaces(std::move(text)) : text;
}

}  // namespace kgp::llm
