// Native GGUF engine (src/llm/engine/): llama.cpp's greedy continuations of the two reference
// models reproduced token for token; KV-cache decoding equal to full recomputation and batched
// prompts equal to token-by-token on random llama and qwen2 models written by GgufWriter;
// quantised kernels against F32 within stated tolerances; every SIMD path against the plain
// one; the sampler's semantics on hand-made logits; the Generator API.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "common/rng.h"
#include "llm/engine/generate.h"
#include "llm/engine/gguf_writer.h"
#include "llm/engine/kernels.h"
#include "llm/engine/model.h"
#include "llm/engine/quant.h"
#include "llm/engine/sampler.h"
#include "llm/engine/thread_pool.h"
#include "llm/engine/tokenizer.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

// Restores the kernel path a test forced.
class IsaGuard {
 public:
  IsaGuard() : saved_(ActiveIsa()) {}
  ~IsaGuard() { SetIsa(saved_); }

 private:
  Isa saved_;
};

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (i <= DetectedIsa()) v.push_back(i);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reference: llama.cpp greedy (llama-simple -n 48) on the shared model files.

struct RefLine {
  std::string prompt, text;
  std::vector<int32_t> ids;
};

std::vector<RefLine> ReadReference(const std::string& path) {
  std::vector<RefLine> out;
  std::istringstream in(test::ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    RefLine r;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    r.prompt = line.substr(0, a);
    std::string ids = line.substr(a + 1, b - a - 1);
    r.text = line.substr(b + 1);
    for (char& c : ids) {
      if (c == '[' || c == ']' || c == ',') c = ' ';
    }
    std::istringstream is(ids);
    int32_t id;
    while (is >> id) r.ids.push_back(id);
    out.push_back(r);
  }
  return out;
}

// llama-simple prints every prompt token's piece (special tokens rendered: BOS is "<s>"), then
// the piece of each generated token until an end-of-generation token or n_predict (48) tokens,
// then a newline. The TSV holds that output on one line: newlines written as spaces (so each
// line ends with the space of the final newline).
void CheckGreedyReference(const std::string& model_rel, const std::string& tsv_rel) {
  const std::string model = test::SharedData(model_rel), tsv = test::SharedData(tsv_rel);
  if (model.empty() || tsv.empty()) GTEST_SKIP() << model_rel << " or " << tsv_rel << " not present (../shared/data)";
  GeneratorOptions go;
  go.model_path = model;
  go.threads = 2;
  auto gen = Unwrap(Generator::Load(go));
  const Tokenizer& tok = gen->tokenizer();
  auto lines = ReadReference(tsv);
  ASSERT_FALSE(lines.empty());
  for (const RefLine& r : lines) {
    SCOPED_TRACE(r.prompt);
    const std::vector<int32_t> ids = tok.Encode(r.prompt, true, false);
    EXPECT_EQ(ids, r.ids);
    GenerateOptions o;
    o.max_tokens = 48;
    o.sampling.temperature = 0;
    GenerateResult res = Unwrap(gen->GenerateTokens(r.ids, o));
    std::string printed;
    for (int32_t id : r.ids) printed += tok.TokenToPiece(id, true);
    for (int32_t id : res.tokens) printed += tok.TokenToPiece(id, true);
    printed += '\n';
    std::replace(printed.begin(), printed.end(), '\n', ' ');
    EXPECT_EQ(printed, r.text) << "generated " << res.tokens.size() << " tokens, stop: " << res.stop_reason;
  }
}

TEST(LlmEngineReference, Aidreams260kGreedyMatchesLlamaCpp) {
  CheckGreedyReference("llm/aidreams260K.gguf", "llm/reference/aidreams260K.greedy.tsv");
}

TEST(LlmEngineReference, ShopTinyGreedyMatchesLlamaCpp) {
  CheckGreedyReference("llm/shop-tiny-f32.gguf", "llm/reference/shop-tiny-f32.greedy.tsv");
}

}  // namespace
}  // namespace kgp::llm
