#include "llm/local_backend.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "common/strings.h"
#include "common/time.h"
#include "llm/engine/generate.h"

namespace kgp::llm {
namespace {

Result<int> IntSetting(const BackendConfig& c, const std::string& key, int dflt, int max) {
  auto it = c.extra.find(key);
  if (it == c.extra.end()) return dflt;
  auto v = ParseInt(it->second);
  if (!v || *v < 0 || *v > max)
    return Status::InvalidArgument(fmt::format("llm.{} = '{}': expected a whole number 0..{}", key, it->second, max));
  return static_cast<int>(*v);
}

// A completion model continues text: the instructions, then the request, as written.
std::string PlainPrompt(const std::vector<ChatMessage>& msgs) {
  std::string out;
  for (const ChatMessage& m : msgs) {
    if (m.role == "assistant") continue;
    if (!out.empty()) out += "\n\n";
    out += m.content;
  }
  return out;
}

}  // namespace

LocalBackend::~LocalBackend() = default;

Result<std::unique_ptr<LocalBackend>> LocalBackend::Create(const BackendConfig& c) {
  if (c.model_path.empty())
    return Status::InvalidArgument("llm backend 'local' needs a GGUF model: set llm.model_path or pass --model-path");
  GeneratorOptions go;
  go.model_path = c.model_path;
  auto threads = IntSetting(c, "threads", 0, 1024);
  if (!threads.ok()) return threads.status();
  auto n_ctx = IntSetting(c, "n_ctx", 0, 1 << 20);
  if (!n_ctx.ok()) return n_ctx.status();
  go.threads = *threads;
  go.n_ctx = *n_ctx;
  auto gen = Generator::Load(go);
  if (!gen.ok()) return gen.status();
  // The prompt keeps its first token and the answer needs one more: a context of 1 cut the
  // prompt past its end and corrupted the heap.
  if (const int n = (*gen)->model().n_ctx(); n < 2) {
    return Status::InvalidArgument(fmt::format(
        "llm backend 'local': a context of {} token (llm.n_ctx, or the model's context_length when it is 0) cannot "
        "hold a prompt and an answer: 2 or more",
        n));
  }
  std::unique_ptr<LocalBackend> b(new LocalBackend());
  b->gen_ = std::move(gen).value();
  b->has_template_ = ApplyChatTemplate(b->gen_->model().file(), {{"user", "x"}}, true).ok();
  b->model_name_ = fmt::format("{} ({})", std::filesystem::path(c.model_path).filename().string(),
                               b->gen_->model().hparams().arch_name);
  return b;
}

Result<Completion> LocalBackend::Complete(const ChatRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto t0 = std::chrono::steady_clock::now();
  std::string text;
  if (has_template_) {
    auto t = ApplyChatTemplate(gen_->model().file(), req.messages, true);
    if (!t.ok()) return t.status();
    text = std::move(t).value();
  } else {
    text = PlainPrompt(req.messages);
  }
  GenerateOptions o;
  o.max_tokens = std::max(1, req.max_tokens);
  o.sampling.temperature = static_cast<float>(req.temperature);
  if (req.seed != 0) o.sampling.seed = req.seed;
  o.stop = req.stop;
  o.parse_special = has_template_;
  if (Status s = CheckSamplerOptions(o.sampling); !s.ok()) {  // a NaN temperature drew token 0 for ever
    return Status::InvalidArgument(fmt::format("llm backend 'local': {}", s.message()));
  }
  std::vector<int32_t> prompt = gen_->tokenizer().Encode(text, true, o.parse_special);
  if (prompt.empty()) return Status::InvalidArgument("local backend: the prompt has no tokens");
  // Room for the answer: cut the prompt from the front, keeping its first token (BOS).
  const int n_ctx = gen_->model().n_ctx();
  o.max_tokens = std::min(o.max_tokens, std::max(1, n_ctx / 2));
  const size_t room = static_cast<size_t>(n_ctx - o.max_tokens);
  if (prompt.size() > room) prompt.erase(prompt.begin() + 1, prompt.begin() + static_cast<std::ptrdiff_t>(prompt.size() - room + 1));
  auto r = gen_->GenerateTokens(prompt, o, req.on_token);
  if (!r.ok()) return r.status();
  Completion c;
  c.text = std::move(r->text);
  c.model = model_name_;
  c.finish_reason = r->stop_reason == "length" || r->stop_reason == "context" ? "length"
                    : r->stop_reason == "callback"                          ? "cancelled"
                                                                            : "stop";
  c.prompt_tokens = static_cast<int>(prompt.size());
  c.completion_tokens = static_cast<int>(r->tokens.size());
  c.seconds = SecondsSince(t0);
  return c;
}

}  // namespace kgp::llm
