// Client of an OpenAI-compatible server (vLLM, llama.cpp llama-server, Ollama, hosted APIs):
// POST {base}/chat/completions or {base}/completions, JSON or streamed (server-sent events),
// with connection / read / total timeouts, retries with exponential back-off on connection
// errors, timeouts, 429 and 5xx (never on other 4xx), a bound on requests in flight, and the
// API key read from the environment variable the config names (never from a file or a flag).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "llm/backend.h"

namespace kgp::llm {

class OpenAiBackend : public Backend {
 public:
  // InvalidArgument for a base URL that is not http(s)://host[:port][/path].
  static Result<std::unique_ptr<OpenAiBackend>> Create(const BackendConfig& c);

  std::string Name() const override { return "openai"; }
  std::string Model() const override { return cfg_.model.empty() ? "default" : cfg_.model; }
  Result<Completion> Complete(const ChatRequest& req) override;

  // Peak number of requests this client had in flight at once (tests, metrics).
  int peak_in_flight() const;

 private:
  explicit OpenAiBackend(BackendConfig c) : cfg_(std::move(c)) {}
  // One HTTP attempt. *retryable tells whether another attempt may succeed; *delivered whether
  // text already reached the caller's token callback (then it is not retried).
  Result<Completion> Attempt(const ChatRequest& req, double deadline_s, bool* retryable, bool* delivered,
                             double* retry_after_s);
  BackendConfig cfg_;
  std::string origin_, path_;  // "http://host:port", "/v1"
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0, peak_ = 0;
};

// The JSON body of a request (exposed for tests): chat messages, or for the completions
// endpoint a prompt of "role: content" blocks ending in "assistant:".
std::string RequestBody(const BackendConfig& c, const ChatRequest& req, bool stream);

}  // namespace kgp::llm
