// Tokenizers of the GGUF engine against references nobody here wrote: llama.cpp's vocabulary
// test vectors (ggml-vocab-*.gguf with .inp/.out, ids from the Hugging Face tokenizers) and
// llama.cpp's own tokenization of the prompts of the two model files (reference/*.greedy.tsv).
// Then special tokens, detokenization, chat templates and damaged vocabularies.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/strings.h"
#include "llm/engine/gguf.h"
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

}  // namespace
}  // namespace kgp::llm
