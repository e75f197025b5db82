#include "llm/backend.h"

#include <mutex>

#include <fmt/format.h>

#include "common/strings.h"
#include "llm/local_backend.h"
#include "llm/openai.h"
#include "llm/template_backend.h"
#include "store/workspace.h"

namespace kgp::llm {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, BackendFactory>& Registry() {
  static std::map<std::string, BackendFactory> r = {
      {"template", [](const BackendConfig&) -> Result<std::unique_ptr<Backend>> { return std::unique_ptr<Backend>(new TemplateBackend()); }},
      {"openai", [](const BackendConfig& c) -> Result<std::unique_ptr<Backend>> {
         auto b = OpenAiBackend::Create(c);
         if (!b.ok()) return b.status();
         return std::unique_ptr<Backend>(std::move(b).value());
       }},
      {"local", [](const BackendConfig& c) -> Result<std::unique_ptr<Backend>> {
         auto b = LocalBackend::Create(c);
         if (!b.ok()) return b.status();
         return std::unique_ptr<Backend>(std::move(b).value());
       }},
  };
  return r;
}

constexpr const char* kKeys[] = {"backend", "base_url", "model", "api_key_env", "endpoint", "stream", "connect_timeout_s",
                                 "read_timeout_s", "total_timeout_s", "max_retries", "backoff_s", "max_concurrency",
                                 "max_tokens", "temperature", "model_path", "threads", "n_ctx"};

}  // namespace

Status SetBackendOption(BackendConfig& c, const std::string& key, const std::string& value) {
  const auto num = [&](double& out) -> Status {
    auto v = ParseDouble(value);
    if (!v || *v < 0) return Status::InvalidArgument(fmt::format("llm.{} = '{}': expected a number >= 0", key, value));
    out = *v;
    return Status::Ok();
  };
  const auto integer = [&](int& out) -> Status {
    auto v = ParseInt(value);
    if (!v || *v < 0 || *v > 1000000) return Status::InvalidArgument(fmt::format("llm.{} = '{}': expected a count", key, value));
    out = static_cast<int>(*v);
    return Status::Ok();
  };
  if (key == "backend") c.kind = value;
  else if (key == "base_url") c.base_url = value;
  else if (key == "model") c.model = value;
  else if (key == "api_key_env") c.api_key_env = value;
  else if (key == "endpoint") c.endpoint = value;
  else if (key == "stream") c.stream = value == "true" || value == "1" || value == "yes";
  else if (key == "connect_timeout_s") return num(c.connect_timeout_s);
  else if (key == "read_timeout_s") return num(c.read_timeout_s);
  else if (key == "total_timeout_s") return num(c.total_timeout_s);
  else if (key == "backoff_s") return num(c.backoff_s);
  else if (key == "temperature") return num(c.temperature);
  else if (key == "max_retries") return integer(c.max_retries);
  else if (key == "max_concurrency") return integer(c.max_concurrency);
  else if (key == "max_tokens") return integer(c.max_tokens);
  else if (key == "model_path") c.model_path = value;
  else c.extra[key] = value;
  return Status::Ok();
}

BackendConfig BackendConfigFromWorkspace(const Workspace& ws) {
  BackendConfig c;
  for (const char* key : kKeys) {
    std::string v = ws.Setting(std::string("llm.") + key, "\x01");
    if (v == "\x01") continue;
    // A bad value in kgprofile.conf is a run-ending configuration error.
    if (Status s = SetBackendOption(c, key, v); !s.ok()) throw Error(s);
  }
  return c;
}

void RegisterBackend(const std::string& kind, BackendFactory factory) {
  std::lock_guard<std::mutex> l(RegistryMutex());
  Registry()[kind] = std::move(factory);
}

Result<std::unique_ptr<Backend>> MakeBackend(const BackendConfig& c) {
  BackendFactory f;
  {
    std::lock_guard<std::mutex> l(RegistryMutex());
    auto it = Registry().find(c.kind);
    if (it != Registry().end()) f = it->second;
  }
  if (f) return f(c);
  return Status::InvalidArgument(fmt::format("unknown llm backend '{}' (template, openai, local)", c.kind));
}

}  // namespace kgp::llm
