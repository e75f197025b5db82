// The template backend (the default; no model): a deterministic writer that reads the task,
// the language and the fact lines of the prompt (facts.h) and turns them into fluent Chinese
// or English, choosing among several phrasings with a generator seeded by a hash of the
// prompt: the same prompt gives the same text, different users read differently. It states
// only what the facts say; the claim checker verifies it like any other backend's output.
// Thread-safe (stateless).
#pragma once

#include "llm/backend.h"

namespace kgp::llm {

class TemplateBackend : public Backend {
 public:
  std::string Name() const override { return "template"; }
  std::string Model() const override { return "template-v2"; }
  Result<Completion> Complete(const ChatRequest& req) override;
};

}  // namespace kgp::llm
