#include "llm/engine/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/time.h"

namespace kgp::llm {

Result<std::unique_ptr<Generator>> Generator::Load(const GeneratorOptions& opt) {
  ModelOptions mo;
  mo.n_ctx = opt.n_ctx;
  mo.threads = opt.threads;
  mo.n_batch = opt.n_batch;
  auto m = Model::Load(opt.model_path, mo);
  if (!m.ok()) return m.status();
  auto t = Tokenizer::FromGguf((*m)->file());
  if (!t.ok()) return t.status();
  std::unique_ptr<Generator> g(new Generator());
  g->model_ = std::move(m).value();
  g->tok_ = std::move(t).value();
  if (g->tok_->n_vocab() > g->model_->hparams().n_vocab) {
    return Status::InvalidArgument(fmt::format("{}: vocabulary of {} tokens but the embedding has {} rows",
                                               opt.model_path, g->tok_->n_vocab(), g->model_->hparams().n_vocab));
  }
  return g;
}

Result<GenerateResult> Generator::Generate(std::string_view prompt, const GenerateOptions& opt,
                                           const TokenCallback& on_piece) {
  return GenerateTokens(tok_->Encode(prompt, opt.add_special, opt.parse_special), opt, on_piece);
}

Result<GenerateResult> Generator::Chat(const std::vector<ChatMessage>& msgs, const GenerateOptions& opt,
                                       const TokenCallback& on_piece, std::string_view chat_template) {
  auto text = chat_template.empty() ? ApplyChatTemplate(model_->file(), msgs, true)
                                    : ApplyChatTemplate(chat_template, msgs, true);
  if (!text.ok()) return text.status();
  GenerateOptions o = opt;
  o.parse_special = true;
  return Generate(*text, o, on_piece);
}

Result<GenerateResult> Generator::GenerateTokens(const std::vector<int32_t>& prompt, const GenerateOptions& opt,
                                                 const TokenCallback& on_piece) {
  if (prompt.empty()) return Status::InvalidArgument("generate: empty prompt");
  KGP_RETURN_IF_ERROR(CheckSamplerOptions(opt.sampling));
  if (prompt.size() > static_cast<size_t>(model_->n_ctx())) {
    return Status::InvalidArgument(fmt::format(
        "generate: the prompt is {} tokens, more than the context of {} positions (use -c N with N above {}, "
        "llm.n_ctx in kgprofile.conf, or a shorter prompt)",
        prompt.size(), model_->n_ctx(), prompt.size()));
  }
  GenerateResult r;
  r.prompt_tokens = prompt;
  // Reuse the cache for the common prefix; at least one prompt token is run to get logits.
  size_t keep = 0;
  while (keep < cached_.size() && keep + 1 < prompt.size() && cached_[keep] == prompt[keep]) ++keep;
  model_->Truncate(static_cast<int>(keep));
  cached_.resize(keep);
  r.reused_tokens = static_cast<int>(keep);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> todo(prompt.begin() + static_cast<std::ptrdiff_t>(keep), prompt.end());
  Status s = model_->Decode(todo);
  if (!s.ok()) {
    model_->Reset();
    cached_.clear();
    return s;
  }
  cached_.insert(cached_.end(), todo.begin(), todo.end());
  r.prompt_seconds = SecondsSince(t0);
  t0 = std::chrono::steady_clock::now();

  Sampler sampler(opt.sampling);
  std::vector<int32_t> history = prompt;
  const int n_vocab = model_->hparams().n_vocab;
  r.stop_reason = "length";
  size_t emitted = 0;  // bytes of r.text already passed to the callback
  for (int i = 0; i < opt.max_tokens; ++i) {
    // NaN weights make every logit NaN, and the draw token 0 at every step: an error instead.
    const float* logits = model_->logits();
    if (!std::all_of(logits, logits + n_vocab, [](float x) { return std::isfinite(x); })) {
      return Status::InvalidArgument(fmt::format(
          "generate: token {} (after a prompt of {}): the model's logits are not finite numbers (NaN or infinite "
          "weights in the file?)", i + 1, prompt.size()));
    }
    const int32_t tok = sampler.Sample(logits, n_vocab, history);
    if (opt.stop_at_eog && tok_->IsEog(tok)) {
      r.stop_reason = "eog";
      break;
    }
    r.tokens.push_back(tok);
    history.push_back(tok);
    r.text += tok_->TokenToPiece(tok, false);
    // Stop strings: cut the text where the first one starts.
    bool stopped = false;
    for (const std::string& st : opt.stop) {
      if (st.empty()) continue;
      size_t at = r.text.find(st, emitted > st.size() ? emitted - st.size() : 0);
      if (at != std::string::npos) {
        r.text.resize(at);
        stopped = true;
      }
    }
    // Stream what can no longer become part of a stop string.
    size_t hold = 0;
    if (!stopped) {
      for (const std::string& st : opt.stop) {
        for (size_t k = std::min(st.size() - (st.empty() ? 0 : 1), r.text.size()); k > hold; --k) {
          if (r.text.compare(r.text.size() - k, k, st, 0, k) == 0) {
            hold = k;
            break;
          }
        }
      }
    }
    const size_t upto = stopped ? r.text.size() : r.text.size() - hold;
    if (on_piece && upto > emitted) {
      if (!on_piece(std::string_view(r.text).substr(emitted, upto - emitted))) {
        emitted = upto;
        r.stop_reason = "callback";
        break;
      }
    }
    emitted = std::max(emitted, upto);
    if (stopped) {
      r.stop_reason = "stop";
      break;
    }
    if (i + 1 == opt.max_tokens) break;  // no need to run the last token
    if (model_->n_past() >= model_->n_ctx()) {
      r.stop_reason = "context";
      break;
    }
    s = model_->Decode(std::span<const int32_t>(&tok, 1));
    if (!s.ok()) {
      model_->Reset();
      cached_.clear();
      return s;
    }
    cached_.push_back(tok);
  }
  if (on_piece && emitted < r.text.size() && r.stop_reason != "callback") {
    on_piece(std::string_view(r.text).substr(emitted));
  }
  r.gen_seconds = SecondsSince(t0);
  return r;
}

}  // namespace kgp::llm
