// Language-model backends behind one interface (docs/llm.md): `template` (deterministic writer,
// no model, the default), `openai` (any OpenAI-compatible server: vLLM, llama-server, Ollama,
// hosted APIs) and `local` (the project's GGUF engine, src/llm/engine/, through
// llm/local_backend.h). A backend sees only the prompt: facts as short statements
// and a pseudonymous user alias, never raw ids or PII (prompt.h builds them; tests check it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "llm/chat_message.h"

namespace kgp {
class Workspace;
}

namespace kgp::llm {

struct ChatRequest {
  std::vector<ChatMessage> messages;
  int max_tokens = 512;
  double temperature = 0.7;
  uint64_t seed = 0;               // backends that support it sample reproducibly
  std::vector<std::string> stop;   // stop sequences (not included in the output)
  TokenCallback on_token;          // optional: stream the text as it comes
};

struct Completion {
  std::string text;
  std::string model;          // as the backend reports it
  std::string finish_reason;  // "stop" | "length" | "cancelled" | …
  int prompt_tokens = 0, completion_tokens = 0;  // 0 when unknown
  int attempts = 1;           // HTTP attempts (retries + 1)
  double seconds = 0;
};

// Thread-safe: Complete() may be called from several threads at once (the openai backend
// bounds how many requests are in flight).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Name() const = 0;   // "template", "openai", "local"
  virtual std::string Model() const = 0;  // stored with every cached text
  virtual Result<Completion> Complete(const ChatRequest& req) = 0;
};

// Settings of every backend; workspace keys `llm.<name>` (kgprofile.conf) and CLI flags.
struct BackendConfig {
  std::string kind = "template";       // llm.backend
  // openai
  std::string base_url = "http://127.0.0.1:8080/v1";  // llm.base_url ("/v1" is added when missing)
  std::string model;                   // llm.model (sent as "model"; required by most servers)
  std::string api_key_env = "OPENAI_API_KEY";  // llm.api_key_env: the variable holding the key
  std::string endpoint = "chat";       // llm.endpoint: chat (/v1/chat/completions) | completions
  bool stream = false;                 // llm.stream: server-sent events
  double connect_timeout_s = 5;        // llm.connect_timeout_s
  double read_timeout_s = 60;          // llm.read_timeout_s: longest wait for the next bytes
  double total_timeout_s = 180;        // llm.total_timeout_s: one call, retries included
  int max_retries = 2;                 // llm.max_retries: on connection errors, timeouts, 429, 5xx
  double backoff_s = 0.5;              // llm.backoff_s: first retry delay, doubled each time
  int max_concurrency = 4;             // llm.max_concurrency: requests in flight per backend
  // generation
  int max_tokens = 400;                // llm.max_tokens
  double temperature = 0.7;            // llm.temperature
  // local
  std::string model_path;              // llm.model_path (GGUF); llm.threads and llm.n_ctx go in extra
  std::map<std::string, std::string> extra;  // other llm.* keys, for registered backends
};

// Reads llm.* settings of a workspace over the defaults.
BackendConfig BackendConfigFromWorkspace(const Workspace& ws);
// Applies one key (without the "llm." prefix); InvalidArgument for a bad number.
Status SetBackendOption(BackendConfig& c, const std::string& key, const std::string& value);

using BackendFactory = std::function<Result<std::unique_ptr<Backend>>(const BackendConfig&)>;
// Adds or replaces a backend kind (tests register fakes this way).
void RegisterBackend(const std::string& kind, BackendFactory factory);
// InvalidArgument for an unknown kind or a bad setting; the backend's own error otherwise.
Result<std::unique_ptr<Backend>> MakeBackend(const BackendConfig& c);

}  // namespace kgp::llm
