// kgprofile llm generate | bench | info: the native GGUF engine (src/llm/engine/).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "common/rng.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time.h"
#include "llm/engine/generate.h"
#include "llm/engine/gguf_writer.h"
#include "llm/engine/kernels.h"
#include "llm/engine/model.h"

namespace kgp::cli {
namespace {

using namespace kgp::llm;

long PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Kernel names for --kernels ("auto": the CPU's best).
const std::vector<std::string> kIsaNames = {"auto", "avx512", "avx2", "scalar"};
// Engine option bounds: threads as the other commands' -j, context positions as llm.n_ctx;
// bench's prompt and generated tokens each half of that, so their context fits it too.
constexpr int kMaxThreads = 1024, kMaxCtx = 1 << 20, kMaxBenchTokens = kMaxCtx / 2;

void ApplyIsa(const std::string& isa) {
  if (isa == "scalar") SetIsa(Isa::kScalar);
  if (isa == "avx2") SetIsa(Isa::kAvx2);
  if (isa == "avx512") SetIsa(Isa::kAvx512);
}

struct GenArgs {
  std::string model, prompt, system, chat_template, isa = "auto";
  bool chat = false, no_bos = false, special = false;
  int n = 128, threads = 0, ctx = 0;
  SamplerOptions s;
  std::vector<std::string> stop;
};

int RunGenerate(const Globals& g, const GenArgs& a) {
  ApplyIsa(a.isa);
  GeneratorOptions go;
  go.model_path = a.model;
  go.threads = a.threads;
  go.n_ctx = a.ctx;
  auto gen = Unwrap(Generator::Load(go));
  GenerateOptions o;
  o.max_tokens = a.n;
  o.sampling = a.s;
  o.stop = a.stop;
  o.add_special = !a.no_bos;
  o.parse_special = a.special;
  // The prompt is echoed once it has been read (before the first piece, or after a generation
  // that wrote none): a prompt that does not fit the context was printed before the error.
  bool echo = !a.chat && !g.json;
  auto echo_prompt = [&] {
    if (echo) std::cout << a.prompt;
    echo = false;
  };
  auto stream = [&](std::string_view piece) {
    if (!g.json) {
      echo_prompt();
      std::cout << piece;
      std::cout.flush();
    }
    return true;
  };
  GenerateResult r;
  if (a.chat) {
    std::vector<ChatMessage> msgs;
    if (!a.system.empty()) msgs.push_back({"system", a.system});
    msgs.push_back({"user", a.prompt});
    r = Unwrap(gen->Chat(msgs, o, stream, a.chat_template));
  } else {
    r = Unwrap(gen->Generate(a.prompt, o, stream));
    echo_prompt();
  }
  const double pp = r.prompt_seconds > 0 ? (r.prompt_tokens.size() - r.reused_tokens) / r.prompt_seconds : 0;
  const double tg = r.gen_seconds > 0 ? r.tokens.size() / r.gen_seconds : 0;
  // Byte-fallback tokens and a -n limit inside a character give text that is not UTF-8: Emit
  // writes U+FFFD for those bytes (the JSON was lost with 'invalid UTF-8 byte').
  nlohmann::json j = {{"text", r.text}, {"tokens", r.tokens}, {"prompt_tokens", r.prompt_tokens.size()},
                      {"stop_reason", r.stop_reason}, {"prompt_tokens_per_s", pp}, {"gen_tokens_per_s", tg}};
  Emit(g, j, [&] {
    std::cout << std::endl;
    if (!g.quiet) {
      std::cerr << fmt::format("prompt {} tokens {:.1f} tok/s, generated {} tokens {:.1f} tok/s, stop: {} ({})\n",
                               r.prompt_tokens.size(), pp, r.tokens.size(), tg, r.stop_reason,
                               IsaName(ActiveIsa()));
    }
  });
  return 0;
}

struct BenchArgs {
  std::string model, write_random, shape = "qwen2.5-0.5b", type = "q4_0", isa = "auto";
  int prompt = 128, gen = 32, threads = 2, repeat = 3;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int RunBench(const Globals& g, const BenchArgs& a) {
  GgmlType t = a.type == "f32" ? GgmlType::kF32 : a.type == "f16" ? GgmlType::kF16
             : a.type == "q8_0" ? GgmlType::kQ8_0 : GgmlType::kQ4_0;
  if (!a.write_random.empty()) {
    RandomModelSpec spec;
    if (a.shape == "qwen2.5-0.5b") {
      spec = RandomModelSpec::Qwen25_05B(t);
    } else {
      spec.arch = a.shape == "tiny-llama" ? "llama" : "qwen2";
      spec.wtype = t;
    }
    ThrowIfError(Unwrap(RandomModel(spec)).WriteFile(a.write_random));
    if (!g.quiet) std::cerr << "wrote " << a.write_random << "\n";
    return 0;
  }
  ApplyIsa(a.isa);
  ModelOptions mo;
  mo.threads = a.threads;
  mo.n_ctx = a.prompt + a.gen + 8;
  mo.n_batch = std::max(1, a.prompt);
  auto t0 = std::chrono::steady_clock::now();
  auto m = Unwrap(Model::Load(a.model, mo));
  const double load_s = SecondsSince(t0);
  const int nv = m->hparams().n_vocab;
  Rng rng(1);
  std::vector<int32_t> prompt(static_cast<size_t>(a.prompt));
  for (auto& x : prompt) x = static_cast<int32_t>(rng.Below(static_cast<uint32_t>(nv)));
  std::vector<double> pp, tg;
  for (int rep = 0; rep < std::max(1, a.repeat); ++rep) {
    m->Reset();
    auto p0 = std::chrono::steady_clock::now();
    ThrowIfError(m->Decode(prompt));
    auto p1 = std::chrono::steady_clock::now();
    int32_t tok = Argmax(m->logits(), nv);
    for (int i = 0; i < a.gen; ++i) {
      ThrowIfError(m->Decode(std::span<const int32_t>(&tok, 1)));
      tok = Argmax(m->logits(), nv);
    }
    auto p2 = std::chrono::steady_clock::now();
    pp.push_back(a.prompt / std::chrono::duration<double>(p1 - p0).count());
    tg.push_back(a.gen / std::chrono::duration<double>(p2 - p1).count());
  }
  const HParams& hp = m->hparams();
  nlohmann::json j = {{"model", a.model}, {"arch", hp.arch_name}, {"kernels", IsaName(ActiveIsa())},
                      {"threads", m->threads()}, {"prompt_tokens", a.prompt}, {"gen_tokens", a.gen},
                      {"prompt_tokens_per_s", Median(pp)}, {"gen_tokens_per_s", Median(tg)},
                      {"runs", pp.size()}, {"load_s", load_s}, {"weight_mb", m->weight_bytes() / 1e6},
                      {"kv_mb", m->kv_bytes() / 1e6}, {"peak_rss_mb", PeakRssKb() / 1024.0}};
  Emit(g, j, [&] {
    std::cout << fmt::format(
        "{} {} layers {} embd {} ({}, {} threads): prompt {} tokens {:.1f} tok/s, generation {} tokens {:.2f} tok/s "
        "(median of {}), load {:.2f} s, weights {:.0f} MB, peak RSS {:.0f} MB\n",
        a.model, hp.arch_name, hp.n_layer, hp.n_embd, IsaName(ActiveIsa()), m->threads(), a.prompt, Median(pp),
        a.gen, Median(tg), pp.size(), load_s, m->weight_bytes() / 1e6, PeakRssKb() / 1024.0);
  });
  return 0;
}

int RunInfo(const Globals& g, const std::string& path) {
  auto f = Unwrap(GgufFile::Open(path));
  std::map<std::string, std::pair<int, uint64_t>> types;
  uint64_t total = 0;
  for (const auto& t : f->tensors()) {
    const char* name = TypeInfo(t.type).name;
    auto& e = types[name ? name : "unknown"];
    ++e.first;
    e.second += t.nbytes;
    total += t.nbytes;
  }
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& [k, v] : f->metadata()) {
    if (v.type == GgufType::kArray) {
      meta[k] = fmt::format("[{} x {}]", v.size(), GgufTypeName(v.elem));
    } else if (v.type == GgufType::kString) {
      meta[k] = v.s.size() > 200 ? v.s.substr(0, 200) + "..." : v.s;
    } else {
      meta[k] = v.f;
    }
  }
  nlohmann::json jt = nlohmann::json::object();
  for (const auto& [k, v] : types) jt[k] = {{"tensors", v.first}, {"bytes", v.second}};
  nlohmann::json j = {{"path", path}, {"version", f->version()}, {"tensors", f->tensors().size()},
                      {"tensor_bytes", total}, {"types", jt}, {"metadata", meta}};
  auto m = Model::FromGguf(std::move(f), ModelOptions{.n_ctx = 8, .n_batch = 1, .threads = 1});
  if (m.ok()) {
    const HParams& hp = (*m)->hparams();
    j["hparams"] = {{"arch", hp.arch_name}, {"n_vocab", hp.n_vocab}, {"n_embd", hp.n_embd}, {"n_layer", hp.n_layer},
                    {"n_head", hp.n_head}, {"n_head_kv", hp.n_head_kv}, {"head_dim", hp.head_dim},
                    {"n_ff", hp.n_ff}, {"n_rot", hp.n_rot}, {"rope_base", hp.rope_base},
                    {"rms_eps", hp.rms_eps}, {"n_ctx_train", hp.n_ctx_train}, {"tied_output", hp.tied_output}};
  } else {
    j["load_error"] = SanitizeUtf8(m.status().ToString());  // it may quote the file's bytes
  }
  Emit(g, j, [&] {
    std::cout << fmt::format("{}: GGUF v{}, {} tensors, {:.1f} MB\n", path, j["version"].get<int>(),
                             j["tensors"].get<size_t>(), total / 1e6);
    for (const auto& [k, v] : types) std::cout << fmt::format("  {:6} {:4} tensors {:10.1f} MB\n", k, v.first, v.second / 1e6);
    if (j.contains("hparams")) std::cout << "hparams: " << j["hparams"].dump() << "\n";
    if (j.contains("load_error")) std::cout << "not loadable: " << Printable(j["load_error"].get<std::string>()) << "\n";
    // Metadata strings are the file's bytes: one that is not UTF-8 stopped the listing halfway
    // with json's 'invalid UTF-8 byte' (--json already wrote U+FFFD).
    for (const auto& [k, v] : meta.items()) {
      std::cout << "  " << Printable(SanitizeUtf8(k)) << " = "
                << v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
  });
  return 0;
}

}  // namespace

void AddLlmEngineCommands(CLI::App* llm, Registry& reg) {
  {
    auto a = std::make_shared<GenArgs>();
    auto* cmd = llm->add_subcommand("generate", "generate text with the native GGUF engine (llama, qwen2)");
    cmd->add_option("-m,--model", a->model, "GGUF model file")->required();
    cmd->add_option("-p,--prompt", a->prompt, "prompt text (the user message with --chat)")->required();
    cmd->add_option("-n,--max-tokens", a->n, "tokens to generate at most")->capture_default_str()->check(CLI::Range(0, kMaxCtx));
    // Ranges as CheckSamplerOptions: --repeat-penalty 0 wrote only BOS tokens, a NaN temperature or
    // top-p made every draw token 0.
    cmd->add_option("--temp", a->s.temperature, "temperature (0 = greedy)")->capture_default_str()->check(NonNegativeFinite());
    cmd->add_option("--top-k", a->s.top_k, "top-k (0 = off)")->capture_default_str();
    cmd->add_option("--top-p", a->s.top_p, "top-p, 0..1 (1 = off)")->capture_default_str()->check(Share());
    cmd->add_option("--min-p", a->s.min_p, "min-p, 0..1 (0 = off)")->capture_default_str()->check(Share());
    cmd->add_option("--repeat-penalty", a->s.repeat_penalty, "repeat penalty, above 0 (1 = off)")
        ->capture_default_str()->check(PositiveFinite());
    cmd->add_option("--repeat-last-n", a->s.repeat_last_n, "tokens the penalty looks back (-1 = all)")
        ->capture_default_str()->check(CLI::Range(-1, kMaxCtx));
    cmd->add_option("--seed", a->s.seed, "sampling seed")->capture_default_str()->check(Unsigned());
    cmd->add_option("--stop", a->stop, "stop string (repeatable)");
    cmd->add_flag("--chat", a->chat, "render the prompt as a user message with the model's chat template");
    cmd->add_option("--system", a->system, "system message (with --chat)");
    cmd->add_option("--chat-template", a->chat_template, "template name (chatml, llama3, llama2) instead of the model's");
    cmd->add_flag("--no-bos", a->no_bos, "do not add the BOS token");
    cmd->add_flag("--special", a->special, "parse control tokens written in the prompt");
    cmd->add_option("-j,--threads", a->threads, "threads (0 = all cores)")->capture_default_str()->check(CLI::Range(0, kMaxThreads));
    cmd->add_option("-c,--ctx", a->ctx, "context positions (0 = min(training, 4096))")->capture_default_str()->check(CLI::Range(0, kMaxCtx));
    cmd->add_option("--kernels", a->isa, "auto, avx512, avx2 or scalar")->capture_default_str()->check(CLI::IsMember(kIsaNames));
    cmd->callback([&reg, a] { *reg.selected = [&reg, a] { return RunGenerate(*reg.globals, *a); }; });
  }
  {
    auto a = std::make_shared<BenchArgs>();
    auto* cmd = llm->add_subcommand("bench", "prompt and generation tokens/s of a GGUF model (or write a random one)");
    cmd->add_option("-m,--model", a->model, "GGUF model file");
    cmd->add_option("--write-random", a->write_random, "write a random-weight model here and exit");
    cmd->add_option("--shape", a->shape, "random model shape: qwen2.5-0.5b, tiny-llama, tiny-qwen2")
        ->capture_default_str()->check(CLI::IsMember({"qwen2.5-0.5b", "tiny-llama", "tiny-qwen2"}));
    cmd->add_option("--type", a->type, "random model weight type: f32, f16, q8_0, q4_0")
        ->capture_default_str()->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}));
    cmd->add_option("-p,--prompt-tokens", a->prompt, "prompt tokens (one batch)")->capture_default_str()->check(CLI::Range(1, kMaxBenchTokens));
    cmd->add_option("-n,--gen-tokens", a->gen, "generated tokens")->capture_default_str()->check(CLI::Range(0, kMaxBenchTokens));
    cmd->add_option("-j,--threads", a->threads, "threads (0 = all cores)")->capture_default_str()->check(CLI::Range(0, kMaxThreads));
    cmd->add_option("-r,--repeat", a->repeat, "runs (the median is reported)")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("--kernels", a->isa, "auto, avx512, avx2 or scalar (baseline)")->capture_default_str()->check(CLI::IsMember(kIsaNames));
    cmd->callback([&reg, a, cmd] {
      if (a->model.empty() && a->write_random.empty()) throw CLI::RequiredError("--model or --write-random");
      (void)cmd;
      *reg.selected = [&reg, a] { return RunBench(*reg.globals, *a); };
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto* cmd = llm->add_subcommand("info", "metadata, tensor types and hyperparameters of a GGUF file");
    cmd->add_option("MODEL", *path, "GGUF file")->required();
    cmd->callback([&reg, path] { *reg.selected = [&reg, path] { return RunInfo(*reg.globals, *path); }; });
  }
}

}  // namespace kgp::cli
