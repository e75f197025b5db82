// Tokenizers of the GGUF engine against references nobody here wrote: llama.cpp's vocabulary
// test vectors (ggml-vocab-*.gguf with .inp/.out, ids from the Hugging Face tokenizers) and
// llama.cpp's own tokenization of the prompts of the two model files (reference/*.greedy.tsv).
// Then special tokens, detokenization, chat templates and damaged vocabularies.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/strings.h"
#include "common/time.h"
#include "llm/engine/chat.h"
#include "llm/engine/gguf.h"
#include "llm/engine/unicode.h"
#include "llm/engine/tokenizer.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

using Ids = std::vector<int32_t>;

struct Loaded {
  std::unique_ptr<GgufFile> file;
  std::unique_ptr<Tokenizer> tok;
};

Loaded Load(const std::string& path) {
  Loaded l;
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return l;
  l.file = std::move(f).value();
  auto t = Tokenizer::FromGguf(*l.file);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (t.ok()) l.tok = std::move(t).value();
  return l;
}

// llama.cpp's test-tokenizer-0: texts separated by "\n__ggml_vocab_test__\n" (the file ends
// with one, so every text, including the last, stops right before a separator); one line of
// ids per text.
struct Case {
  std::string text;
  Ids ids;
};

std::vector<Case> ReadCases(const std::string& vocab_path) {
  const std::string inp = test::ReadFile(vocab_path + ".inp");
  const std::string out = test::ReadFile(vocab_path + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<Ids> ids;
  for (std::string_view line : Split(out, '\n')) {
    Ids row;
    for (std::string_view t : Split(Trim(line), ' ')) {
      if (!t.empty()) row.push_back(static_cast<int32_t>(*ParseInt(t)));
    }
    ids.push_back(std::move(row));
  }
  if (!out.empty() && out.back() == '\n') ids.pop_back();  // Split gives a last empty line
  EXPECT_EQ(texts.size(), ids.size()) << vocab_path;
  std::vector<Case> cases;
  for (size_t i = 0; i < texts.size() && i < ids.size(); ++i) cases.push_back({texts[i], ids[i]});
  return cases;
}

std::string Show(const Ids& ids) {
  std::string s;
  for (int32_t id : ids) s += std::to_string(id) + " ";
  return s;
}

// Every reference case, exactly; returns how many matched.
size_t CheckVocab(const std::string& path, size_t expected_cases) {
  Loaded l = Load(path);
  if (!l.tok) return 0;
  const std::vector<Case> cases = ReadCases(path);
  EXPECT_EQ(cases.size(), expected_cases);
  size_t matched = 0;
  for (const Case& c : cases) {
    const Ids got = l.tok->Encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(Show(got), Show(c.ids)) << "text: '" << c.text << "'";
    matched += got == c.ids;
  }
  std::printf("[          ] %s: %zu/%zu reference cases match\n", path.c_str(), matched, cases.size());
  return matched;
}

TEST(LlmTokenizerVocab, LlamaSpmMatchesEveryReferenceCase) {
  KGP_REQUIRE_DATA(path, "llm/vocab/ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(CheckVocab(path, 46), 46u);
}

TEST(LlmTokenizerVocab, Gpt2MatchesEveryReferenceCase) {
  KGP_REQUIRE_DATA(path, "llm/vocab/ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(CheckVocab(path, 46), 46u);
}

TEST(LlmTokenizerVocab, LoadsMetadata) {
  KGP_REQUIRE_DATA(spm_path, "llm/vocab/ggml-vocab-llama-spm.gguf");
  KGP_REQUIRE_DATA(gpt2_path, "llm/vocab/ggml-vocab-gpt-2.gguf");
  Loaded spm = Load(spm_path);
  ASSERT_TRUE(spm.tok);
  EXPECT_EQ(spm.tok->model(), Tokenizer::Model::kSpm);
  EXPECT_EQ(spm.tok->n_vocab(), 32000);
  EXPECT_EQ(spm.tok->bos(), 1);
  EXPECT_EQ(spm.tok->eos(), 2);
  EXPECT_TRUE(spm.tok->add_bos());
  EXPECT_FALSE(spm.tok->add_eos());
  EXPECT_TRUE(spm.tok->IsEog(2));
  EXPECT_FALSE(spm.tok->IsEog(1));
  Loaded gpt2 = Load(gpt2_path);
  ASSERT_TRUE(gpt2.tok);
  EXPECT_EQ(gpt2.tok->model(), Tokenizer::Model::kBpe);
  EXPECT_EQ(gpt2.tok->n_vocab(), 50257);
  EXPECT_EQ(gpt2.tok->eos(), 50256);
  EXPECT_TRUE(gpt2.tok->IsEog(50256));
  EXPECT_FALSE(gpt2.tok->add_bos());
}

// reference/<model>.greedy.tsv: prompt, llama.cpp's ids for it (BOS added), and llama-simple's
// output, which prints every token with llama_token_to_piece(special=true): "<s>" for BOS.
void CheckModelPrompts(const std::string& model_rel, const std::string& tsv_rel) {
  const std::string model = test::SharedData(model_rel), tsv = test::SharedData(tsv_rel);
  if (model.empty() || tsv.empty()) GTEST_SKIP() << model_rel << " or " << tsv_rel << " not present";
  Loaded l = Load(model);
  ASSERT_TRUE(l.tok);
  EXPECT_EQ(l.tok->n_vocab(), 512);
  size_t rows = 0;
  const std::string content = test::ReadFile(tsv);
  for (std::string_view line : Split(content, '\n')) {
    if (line.empty()) continue;
    const std::vector<std::string_view> cols = Split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    Ids expected;
    std::string list(cols[1].substr(1, cols[1].size() - 2));  // "[1, 429, ...]"
    for (std::string_view t : Split(list, ',')) expected.push_back(static_cast<int32_t>(*ParseInt(t)));
    const std::string prompt(cols[0]);
    const Ids got = l.tok->Encode(prompt, /*add_special=*/true, /*parse_special=*/false);
    EXPECT_EQ(Show(got), Show(expected)) << prompt;
    // The printed continuation starts with the prompt's pieces, exactly as llama.cpp renders them.
    std::string pieces;
    for (int32_t id : got) pieces += l.tok->TokenToPiece(id, /*special=*/true);
    EXPECT_EQ(cols[2].substr(0, pieces.size()), pieces) << prompt;
    EXPECT_TRUE(StartsWith(pieces, "<s> ")) << pieces;
    // llama_detokenize: a removed BOS keeps the first piece's space; without BOS it is stripped.
    EXPECT_EQ(l.tok->Decode(got, /*remove_special=*/true, /*unparse_special=*/false), " " + prompt);
    EXPECT_EQ(l.tok->Decode(Ids(got.begin() + 1, got.end()), false, false), prompt);
    EXPECT_EQ(l.tok->Decode(got, false, /*unparse_special=*/true), "<s> " + prompt);
    // The whole printed text (generated by the model) survives a round trip.
    const std::string printed(cols[2].substr(3));
    EXPECT_EQ(l.tok->Decode(l.tok->Encode(printed, false, false), false, false), printed);
    ++rows;
  }
  EXPECT_EQ(rows, 3u);
}

TEST(LlmTokenizerModels, Aidreams260kPromptIdsMatchLlamaCpp) {
  CheckModelPrompts("llm/aidreams260K.gguf", "llm/reference/aidreams260K.greedy.tsv");
}

TEST(LlmTokenizerModels, ShopTinyPromptIdsMatchLlamaCpp) {
  CheckModelPrompts("llm/shop-tiny-f32.gguf", "llm/reference/shop-tiny-f32.greedy.tsv");
}

// Decode(Encode(x)) == x on every reference text, as llama.cpp's test prints it. Exceptions,
// both gpt-2 and both llama.cpp behaviour: its detokenizer "cleans" spaces before punctuation
// (" ?" → "?"), so the two texts containing "😁 ?" come back without that space.
TEST(LlmTokenizerVocab, RoundTripsReferenceTexts) {
  for (const char* rel : {"llm/vocab/ggml-vocab-llama-spm.gguf", "llm/vocab/ggml-vocab-gpt-2.gguf"}) {
    KGP_REQUIRE_DATA(path, rel);
    Loaded l = Load(path);
    ASSERT_TRUE(l.tok);
    const bool gpt2 = l.tok->model() == Tokenizer::Model::kBpe;
    size_t exact = 0, cases = 0;
    for (const Case& c : ReadCases(path)) {
      std::string expected = c.text;
      if (gpt2) {
        for (size_t p; (p = expected.find("\xF0\x9F\x98\x81 ?")) != std::string::npos;) expected.erase(p + 4, 1);
      }
      const std::string back = l.tok->Decode(l.tok->Encode(c.text, false, false), false, false);
      EXPECT_EQ(back, expected) << rel;
      exact += back == c.text;
      ++cases;
    }
    EXPECT_EQ(exact, gpt2 ? cases - 2 : cases) << rel;
  }
}

TEST(LlmTokenizerSpecial, ControlTokensParsedOnlyWhenAsked) {
  KGP_REQUIRE_DATA(spm_path, "llm/vocab/ggml-vocab-llama-spm.gguf");
  KGP_REQUIRE_DATA(gpt2_path, "llm/vocab/ggml-vocab-gpt-2.gguf");
  Loaded spm = Load(spm_path);
  ASSERT_TRUE(spm.tok);
  // Text after a special token gets the SentencePiece space prefix again ("▁Hello" = 15043).
  EXPECT_EQ(Show(spm.tok->Encode("<s>Hello</s>", false, true)), Show({1, 15043, 2}));
  EXPECT_EQ(Show(spm.tok->Encode("Hello", true, false)), Show({1, 15043}));
  const Ids literal = spm.tok->Encode("<s>Hello</s>", false, false);
  EXPECT_GT(literal.size(), 3u);
  for (int32_t id : literal) EXPECT_TRUE(id != 1 && id != 2) << Show(literal);
  EXPECT_EQ(spm.tok->Decode(literal, false, false), "<s>Hello</s>");
  EXPECT_EQ(spm.tok->Decode({1, 15043, 2}, false, false), " Hello");  // BOS took the lstrip
  EXPECT_EQ(spm.tok->Decode({1, 15043, 2}, false, true), "<s> Hello</s>");
  EXPECT_EQ(spm.tok->TokenToPiece(13, false), "\n");     // <0x0A>
  EXPECT_EQ(spm.tok->TokenToPiece(15043, false), " Hello");
  EXPECT_EQ(spm.tok->TokenToPiece(2, false), "");
  EXPECT_EQ(spm.tok->TokenToPiece(0, true), "<unk>");
  EXPECT_EQ(spm.tok->TokenToPiece(-1, true), "");
  EXPECT_EQ(spm.tok->TokenToPiece(32000, true), "");

  Loaded gpt2 = Load(gpt2_path);
  ASSERT_TRUE(gpt2.tok);
  EXPECT_EQ(Show(gpt2.tok->Encode("Hello<|endoftext|> world", false, true)), Show({15496, 50256, 995}));
  const Ids lit = gpt2.tok->Encode("Hello<|endoftext|>", false, false);
  for (int32_t id : lit) EXPECT_NE(id, 50256);
  EXPECT_EQ(gpt2.tok->Decode({15496, 50256}, false, true), "Hello<|endoftext|>");
  EXPECT_EQ(gpt2.tok->Decode({15496, 50256}, false, false), "Hello");
  EXPECT_EQ(gpt2.tok->TokenToPiece(18435, false), " Hello");
}

TEST(LlmTokenizerSpecial, InvalidUtf8NeverFails) {
  KGP_REQUIRE_DATA(spm_path, "llm/vocab/ggml-vocab-llama-spm.gguf");
  KGP_REQUIRE_DATA(gpt2_path, "llm/vocab/ggml-vocab-gpt-2.gguf");
  const std::string junk = std::string("a b\xE2\x82", 5) + std::string(1, '\0') + "c\xFF\xFE";
  Loaded spm = Load(spm_path);
  ASSERT_TRUE(spm.tok);
  // SentencePiece spells unknown bytes with byte tokens, so even invalid UTF-8 round-trips
  // (but like llama.cpp a stray lead byte swallows the next bytes, an escaped space included:
  // "\xFF b" would come back as "\xFF\xE2\x96\x81b").
  EXPECT_EQ(spm.tok->Decode(spm.tok->Encode(junk, false, false), false, false), junk);
  Loaded gpt2 = Load(gpt2_path);
  ASSERT_TRUE(gpt2.tok);
  // Byte-level BPE decodes each invalid byte to U+FFFD first (llama.cpp does the same).
  EXPECT_EQ(gpt2.tok->Decode(gpt2.tok->Encode(junk, false, false), false, false),
            std::string("a b\xEF\xBF\xBD\xEF\xBF\xBD", 9) + std::string(1, '\0') + "c\xEF\xBF\xBD\xEF\xBF\xBD");
}

// --- pre-tokenizers (no llama-bpe or qwen2 vocabulary is staged, so the regexes are checked
// word by word, expectations worked out from the regex definitions in unicode.h) ---

std::vector<std::string> Words(std::string_view text, PreSplit style) {
  std::vector<std::string> words;
  PreTokenize(text, style, &words);
  for (std::string& w : words) {  // back from the byte alphabet to plain text
    std::string plain;
    for (char32_t cp : DecodeCodepoints(w)) plain += static_cast<char>(UnicodeToByte(cp));
    w = plain;
  }
  return words;
}

using W = std::vector<std::string>;

TEST(LlmTokenizerPreSplit, Gpt2) {
  EXPECT_EQ(Words("Hello world's 12345 foo!!  bar\n\n", PreSplit::kGpt2),
            (W{"Hello", " world", "'s", " 12345", " foo", "!!", " ", " bar", "\n\n"}));
  EXPECT_EQ(Words("I'LL  x", PreSplit::kGpt2), (W{"I", "'", "LL", " ", " x"}));  // case-sensitive
}

TEST(LlmTokenizerPreSplit, Llama3AndQwen2) {
  EXPECT_EQ(Words("Hello world's 12345 foo!!  bar\n\n", PreSplit::kLlama3),
            (W{"Hello", " world", "'s", " ", "123", "45", " foo", "!!", " ", " bar", "\n\n"}));
  EXPECT_EQ(Words("Hello world's 12345 foo!!  bar\n\n", PreSplit::kQwen2),
            (W{"Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " foo", "!!", " ", " bar", "\n\n"}));
  EXPECT_EQ(Words("I'LL (x) ...\n\ny", PreSplit::kLlama3), (W{"I", "'LL", " (", "x", ")", " ...\n\n", "y"}));
  EXPECT_EQ(Words("a \n b", PreSplit::kQwen2), (W{"a", " \n", " b"}));
  EXPECT_EQ(Words("\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96", PreSplit::kQwen2),  // 你好，世
            (W{"\xE4\xBD\xA0\xE5\xA5\xBD", "\xEF\xBC\x8C\xE4\xB8\x96"}));
}

// --- a small byte-level vocabulary written as GGUF in memory ---

class GgufWriter {
 public:
  void Str(const std::string& key, const std::string& v) {
    Key(key, 8);
    PutStr(v);
    ++n_;
  }
  void U32(const std::string& key, uint32_t v) {
    Key(key, 4);
    Put(v);
    ++n_;
  }
  void Bool(const std::string& key, bool v) {
    Key(key, 7);
    body_.push_back(v ? 1 : 0);
    ++n_;
  }
  void Strs(const std::string& key, const std::vector<std::string>& v) {
    Key(key, 9);
    Put(uint32_t{8});
    Put(uint64_t{v.size()});
    for (const std::string& s : v) PutStr(s);
    ++n_;
  }
  void I32s(const std::string& key, const std::vector<int32_t>& v) {
    Key(key, 9);
    Put(uint32_t{5});
    Put(uint64_t{v.size()});
    for (int32_t x : v) Put(x);
    ++n_;
  }
  void F32s(const std::string& key, const std::vector<float>& v) {
    Key(key, 9);
    Put(uint32_t{6});
    Put(uint64_t{v.size()});
    for (float x : v) Put(x);
    ++n_;
  }
  // The whole file; parsed with GgufFile::Parse, which needs the bytes to stay alive.
  const std::string& Finish() {
    file_ = "GGUF";
    auto put = [&](auto v) { file_.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    put(uint32_t{3});
    put(uint64_t{0});
    put(uint64_t{n_});
    file_ += body_;
    return file_;
  }

 private:
  template <typename T>
  void Put(T v) {
    body_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void PutStr(const std::string& s) {
    Put(uint64_t{s.size()});
    body_ += s;
  }
  void Key(const std::string& k, uint32_t type) {
    PutStr(k);
    Put(type);
  }
  std::string body_, file_;
  uint64_t n_ = 0;
};

// 256 byte tokens (id = byte value), merges u s → us → use → user, H i, 1 2, and three control
// tokens, like a miniature Qwen2 vocabulary.
struct MiniVocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges = {"u s", "us e", "use r", "H i", "1 2"};
  MiniVocab() {
    for (int b = 0; b < 256; ++b) tokens.push_back(ByteToUnicode(static_cast<uint8_t>(b)));
    for (const char* t : {"us", "use", "user", "Hi", "12"}) tokens.push_back(t);  // 256..260
    types.assign(tokens.size(), 1);
    for (const char* t : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {  // 261..263
      tokens.push_back(t);
      types.push_back(3);
    }
  }
  void Write(GgufWriter* w, const std::string& pre) const {
    w->Str("tokenizer.ggml.model", "gpt2");
    w->Str("tokenizer.ggml.pre", pre);
    w->Strs("tokenizer.ggml.tokens", tokens);
    w->I32s("tokenizer.ggml.token_type", types);
    w->Strs("tokenizer.ggml.merges", merges);
    w->U32("tokenizer.ggml.bos_token_id", 261);
    w->U32("tokenizer.ggml.eos_token_id", 261);
  }
};

struct Parsed {
  std::string bytes;
  std::unique_ptr<GgufFile> file;
};

Parsed ParseGguf(GgufWriter& w) {
  Parsed p;
  p.bytes = w.Finish();
  auto f = GgufFile::Parse(reinterpret_cast<const uint8_t*>(p.bytes.data()), p.bytes.size(), "mini.gguf");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (f.ok()) p.file = std::move(f).value();
  return p;
}

Result<std::unique_ptr<Tokenizer>> MiniTokenizer(const std::string& pre, Parsed* keep) {
  GgufWriter w;
  MiniVocab().Write(&w, pre);
  *keep = ParseGguf(w);
  return Tokenizer::FromGguf(*keep->file);
}

TEST(LlmTokenizerBpe, Qwen2AndLlama3Vocabularies) {
  Parsed keep;
  auto qwen = MiniTokenizer("qwen2", &keep);
  ASSERT_TRUE(qwen.ok()) << qwen.status().ToString();
  const Tokenizer& q = **qwen;
  const std::string chat = "<|im_start|>user\nHi 123<|im_end|>";
  // user, Ċ (the newline byte), Hi, Ġ, 1, 2, 3: qwen2 splits digits one by one.
  EXPECT_EQ(Show(q.Encode(chat, false, true)), Show({262, 258, 10, 259, 32, 49, 50, 51, 263}));
  for (int32_t id : q.Encode(chat, false, false)) EXPECT_LT(id, 261);
  EXPECT_EQ(q.Decode(q.Encode(chat, false, true), false, true), chat);
  EXPECT_EQ(q.Decode(q.Encode(chat, false, true), false, false), "user\nHi 123");
  EXPECT_TRUE(q.IsEog(261));  // eos
  EXPECT_TRUE(q.IsEog(263));  // <|im_end|>, by text
  EXPECT_FALSE(q.IsEog(262));
  EXPECT_EQ(q.eot(), 263);
  EXPECT_FALSE(q.add_bos());

  Parsed keep3;
  auto llama3 = MiniTokenizer("llama-bpe", &keep3);
  ASSERT_TRUE(llama3.ok()) << llama3.status().ToString();
  // \p{N}{1,3}: "123" is one word, merged to "12" + "3".
  EXPECT_EQ(Show((*llama3)->Encode("Hi 123", false, false)), Show({259, 32, 260, 51}));
  EXPECT_EQ(Show((*llama3)->Encode("Hi", true, false)), Show({261, 259}));  // llama-bpe adds BOS
}

// --- damaged vocabularies: a clear Status naming the problem, never a crash ---

Status TryLoad(const std::function<void(GgufWriter*)>& write) {
  GgufWriter w;
  write(&w);
  Parsed p = ParseGguf(w);
  if (!p.file) return Status::Internal("unparsable test file");
  return Tokenizer::FromGguf(*p.file).status();
}

void ExpectError(const Status& s, const std::string& needle) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << "'" << s.message() << "' lacks '" << needle << "'";
}

TEST(LlmTokenizerDamaged, ClearErrors) {
  const MiniVocab v;
  ExpectError(TryLoad([&](GgufWriter* w) { w->Strs("tokenizer.ggml.tokens", v.tokens); }), "tokenizer.ggml.model");
  ExpectError(TryLoad([&](GgufWriter* w) { w->Str("tokenizer.ggml.model", "t5"); }), "unsupported tokenizer.ggml.model");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "gpt2");
                w->Str("tokenizer.ggml.pre", "no-such-pre");
              }),
              "no-such-pre");
  ExpectError(TryLoad([&](GgufWriter* w) { w->Str("tokenizer.ggml.model", "llama"); }), "tokenizer.ggml.tokens");
  ExpectError(TryLoad([&](GgufWriter* w) {  // tokens of the wrong type
                w->Str("tokenizer.ggml.model", "llama");
                w->I32s("tokenizer.ggml.tokens", {1, 2, 3});
              }),
              "tokenizer.ggml.tokens is not an array of strings");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "llama");
                w->Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
                w->F32s("tokenizer.ggml.scores", {0, 0});
              }),
              "tokenizer.ggml.scores has 2 entries for 4 tokens");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "llama");
                w->Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
                w->Strs("tokenizer.ggml.token_type", {"x", "y", "z", "w"});
              }),
              "tokenizer.ggml.token_type is not an array of integers");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "llama");
                w->Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "a"});
              }),
              "duplicate token 'a'");
  ExpectError(TryLoad([&](GgufWriter* w) {  // add_bos with no BOS in range
                w->Str("tokenizer.ggml.model", "llama");
                w->Strs("tokenizer.ggml.tokens", {"<unk>"});
              }),
              "bos_token_id");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "gpt2");
                w->Str("tokenizer.ggml.pre", "qwen2");
                w->Strs("tokenizer.ggml.tokens", v.tokens);
              }),
              "tokenizer.ggml.merges");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "gpt2");
                w->Str("tokenizer.ggml.pre", "qwen2");
                w->Strs("tokenizer.ggml.tokens", v.tokens);
                w->Strs("tokenizer.ggml.merges", {"u s", "x yz"});
              }),
              "tokenizer.ggml.merges[1] 'x yz': 'yz' is not a token");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "gpt2");
                w->Str("tokenizer.ggml.pre", "qwen2");
                w->Strs("tokenizer.ggml.tokens", v.tokens);
                w->Strs("tokenizer.ggml.merges", {"us"});
              }),
              "tokenizer.ggml.merges[0] 'us' is not 'left right'");
  ExpectError(TryLoad([&](GgufWriter* w) {
                w->Str("tokenizer.ggml.model", "llama");
                w->Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
                w->Str("tokenizer.ggml.bos_token_id", "1");
              }),
              "tokenizer.ggml.bos_token_id is not an integer");
}

TEST(LlmTokenizerDamaged, OddTokensDoNotCrash) {
  // Byte tokens with malformed names, an out-of-range special id, no token types at all.
  GgufWriter w;
  w.Str("tokenizer.ggml.model", "llama");
  w.Strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0xZZ>", "\xE2\x96\x81" "a", ""});
  w.I32s("tokenizer.ggml.token_type", {2, 3, 3, 6, 1, 1});
  w.U32("tokenizer.ggml.eos_token_id", 0xFFFFFFFFu);
  Parsed p = ParseGguf(w);
  ASSERT_TRUE(p.file);
  auto t = Tokenizer::FromGguf(*p.file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->eos(), 2);  // the default stays
  EXPECT_EQ((*t)->TokenToPiece(3, true), "");
  EXPECT_EQ((*t)->TokenText(5), "[EMPTY_5]");
  // "▁b" has no token and its bytes no byte tokens: each byte falls back to <unk>.
  EXPECT_EQ(Show((*t)->Encode("a b", true, false)), Show({1, 4, 0, 0, 0, 0}));  // ▁ b: four bytes
}

// --- chat templates: expected strings written by hand from the template definitions ---

const std::vector<ChatMessage> kChat = {
    {"system", "You are a shop assistant."},
    {"user", "Recommend a gift for Alice."},
    {"assistant", "Coffee beans from Tyrell. "},
};

TEST(LlmChat, ChatMl) {
  auto s = ApplyChatTemplate("chatml", kChat, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s,
            "<|im_start|>system\nYou are a shop assistant.<|im_end|>\n"
            "<|im_start|>user\nRecommend a gift for Alice.<|im_end|>\n"
            "<|im_start|>assistant\nCoffee beans from Tyrell. <|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(*ApplyChatTemplate("chatml", kChat, false),
            "<|im_start|>system\nYou are a shop assistant.<|im_end|>\n"
            "<|im_start|>user\nRecommend a gift for Alice.<|im_end|>\n"
            "<|im_start|>assistant\nCoffee beans from Tyrell. <|im_end|>\n");
}

TEST(LlmChat, Llama3TrimsContent) {
  EXPECT_EQ(*ApplyChatTemplate("llama3", kChat, true),
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a shop assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nRecommend a gift for Alice.<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nCoffee beans from Tyrell.<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(LlmChat, Llama2) {
  EXPECT_EQ(*ApplyChatTemplate("llama2-sys", kChat, true),
            "[INST] <<SYS>>\nYou are a shop assistant.\n<</SYS>>\n\n"
            "Recommend a gift for Alice. [/INST]Coffee beans from Tyrell. </s>");
  EXPECT_EQ(*ApplyChatTemplate("llama2", kChat, true),
            "[INST] You are a shop assistant.\nRecommend a gift for Alice. [/INST]Coffee beans from Tyrell. </s>");
}

TEST(LlmChat, DetectsTemplatesByMarkers) {
  // Excerpts of the Jinja templates shipped with Qwen2.5, Llama 3 and Llama 2 chat models.
  EXPECT_EQ(*DetectChatTemplate("{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + "
                                "message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"),
            ChatTemplate::kChatMl);
  EXPECT_EQ(*DetectChatTemplate("{% set content = '<|start_header_id|>' + message['role'] + "
                                "'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"),
            ChatTemplate::kLlama3);
  EXPECT_EQ(*DetectChatTemplate("{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' }}"),
            ChatTemplate::kLlama2Sys);
  EXPECT_EQ(*DetectChatTemplate("{{ '[INST] ' + content + ' [/INST]' }}"), ChatTemplate::kLlama2);
  const auto unknown = ApplyChatTemplate("{{ '<start_of_turn>' + role }}", kChat, true);
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
}

TEST(LlmChat, FromModelFileAndTokenized) {
  GgufWriter w;
  MiniVocab().Write(&w, "qwen2");
  w.Str("tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
  Parsed p = ParseGguf(w);
  ASSERT_TRUE(p.file);
  auto prompt = ApplyChatTemplate(*p.file, {{"user", "Hi"}}, true);
  ASSERT_TRUE(prompt.ok()) << prompt.status().ToString();
  EXPECT_EQ(*prompt, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  auto tok = Tokenizer::FromGguf(*p.file);
  ASSERT_TRUE(tok.ok());
  // The markers become their control tokens: <|im_start|> user Ċ Hi <|im_end|> Ċ <|im_start|> a s s ...
  const Ids ids = (*tok)->Encode(*prompt, true, true);
  EXPECT_EQ(Show(Ids(ids.begin(), ids.begin() + 7)), Show({262, 258, 10, 259, 263, 10, 262}));
  EXPECT_EQ((*tok)->Decode(ids, false, true), *prompt);

  Parsed bare;
  GgufWriter w2;
  MiniVocab().Write(&w2, "qwen2");
  bare = ParseGguf(w2);
  EXPECT_EQ(ApplyChatTemplate(*bare.file, kChat, true).status().code(), Status::Code::kNotFound);
}

// Speed on a long text (the reference texts repeated); the figure is in docs/llm-tokenizer.md.
TEST(LlmTokenizerSpeed, LongTextIsLinearish) {
  for (const char* rel : {"llm/vocab/ggml-vocab-llama-spm.gguf", "llm/vocab/ggml-vocab-gpt-2.gguf"}) {
    KGP_REQUIRE_DATA(path, rel);
    Loaded l = Load(path);
    ASSERT_TRUE(l.tok);
    const std::string one = test::ReadFile(path + ".inp");
    std::string text;
    for (int i = 0; i < 100; ++i) text += one;
    const auto t0 = std::chrono::steady_clock::now();
    const Ids ids = l.tok->Encode(text, false, false);
    const double s = kgp::SecondsSince(t0);
    std::printf("[          ] %s: %zu bytes -> %zu tokens in %.3f s (%.0f tokens/s)\n", rel, text.size(),
                ids.size(), s, ids.size() / s);
    EXPECT_EQ(l.tok->Decode(ids, false, false).size() > text.size() * 9 / 10, true);
    EXPECT_LT(s, 2.0);
  }
}

}  // namespace
}  // namespace kgp::llm
