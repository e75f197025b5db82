// Text generation on the native engine: a model file with its tokenizer, a prompt (or chat
// messages rendered with the model's chat template), sampling, stop conditions and streaming.
// This is the API the language-model layer calls.
//
//   auto gen = Unwrap(Generator::Load({.model_path = "model.gguf", .threads = 2}));
//   GenerateOptions o;  o.max_tokens = 64;  o.sampling.temperature = 0;  // greedy
//   auto r = gen->Generate("Because Alice bought", o, [](std::string_view piece) {
//     std::cout << piece;  return true;  // false stops generation
//   });
//
// A prompt that extends the previous call's tokens reuses their KV cache (only the new tokens
// are processed). Ownership: the Generator owns the model and tokenizer.
// Thread safety: one call at a time per Generator (a server keeps one loop that owns it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "llm/engine/chat.h"
#include "llm/engine/model.h"
#include "llm/engine/sampler.h"
#include "llm/engine/tokenizer.h"

namespace kgp::llm {

struct GeneratorOptions {
  std::string model_path;
  int n_ctx = 0;      // 0: min(training context, 4096)
  int threads = 0;    // 0: all hardware threads
  int n_batch = 256;  // prompt tokens per forward pass
};

struct GenerateOptions {
  int max_tokens = 256;             // generated tokens at most (llama-simple's -n)
  SamplerOptions sampling;          // default: greedy
  std::vector<std::string> stop;    // stop strings (not included in the text)
  bool add_special = true;          // BOS as the vocabulary says
  bool parse_special = false;       // control tokens written in the prompt become tokens
  bool stop_at_eog = true;          // end-of-generation tokens end the text (not included)
};

struct GenerateResult {
  std::string text;                  // generated text only (no prompt)
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;       // generated token ids (an end-of-generation token excluded)
  std::string stop_reason;           // "eog", "length", "stop", "callback", "context"
  int reused_tokens = 0;             // prompt tokens served from the KV cache of the last call
  double prompt_seconds = 0, gen_seconds = 0;
};

class Generator {
 public:
  static Result<std::unique_ptr<Generator>> Load(const GeneratorOptions& opt);

  Result<GenerateResult> Generate(std::string_view prompt, const GenerateOptions& opt,
                                  const TokenCallback& on_piece = {});
  // Renders msgs with the model's chat template (or `chat_template`: a name such as "chatml"
  // or Jinja text) plus the assistant prompt, then generates with parse_special on.
  Result<GenerateResult> Chat(const std::vector<ChatMessage>& msgs, const GenerateOptions& opt,
                              const TokenCallback& on_piece = {}, std::string_view chat_template = {});
  // Generation from token ids (prompt already tokenized).
  Result<GenerateResult> GenerateTokens(const std::vector<int32_t>& prompt, const GenerateOptions& opt,
                                        const TokenCallback& on_piece = {});

  const Tokenizer& tokenizer() const { return *tok_; }
  Model& model() { return *model_; }

 private:
  Generator() = default;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
  std::vector<int32_t> cached_;  // tokens whose keys and values are in the model's cache
};

}  // namespace kgp::llm
