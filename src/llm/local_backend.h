// The `local` backend: the project's GGUF engine (llm/engine/generate.h) behind the backend
// interface. Settings: llm.model_path (required), llm.threads (0: all cores), llm.n_ctx
// (0: the model's training context, at most 4096), llm.max_tokens, llm.temperature.
//
// Messages are rendered with the model's chat template when it has a supported one
// (llm/engine/chat.h); a plain completion model (no template) gets the system and user texts
// joined by blank lines and continues that text. A prompt longer than the context allows is cut
// from the front (the newest text and the answer room are kept); finish_reason says "length"
// when max_tokens ended the text, "stop" otherwise.
//
// Thread-safe: the engine runs one generation at a time, so calls are serialised by a mutex
// (the engine itself uses llm.threads cores for each one).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "llm/backend.h"

namespace kgp::llm {

class Generator;

class LocalBackend : public Backend {
 public:
  // Loads the model; NotFound / Corruption / Unimplemented from the GGUF loader name the file.
  static Result<std::unique_ptr<LocalBackend>> Create(const BackendConfig& c);
  ~LocalBackend() override;

  std::string Name() const override { return "local"; }
  std::string Model() const override { return model_name_; }
  Result<Completion> Complete(const ChatRequest& req) override;

 private:
  LocalBackend() = default;
  std::mutex mu_;
  std::unique_ptr<Generator> gen_;
  std::string model_name_;  // file name without folders, plus the architecture
  bool has_template_ = false;
};

}  // namespace kgp::llm
