// kgprofile llm summary | copy | explain | reason | refresh | faithfulness (docs/llm.md).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/strings.h"
#include "llm/kar.h"
#include "llm/writer.h"

namespace kgp::cli {
namespace {

struct LlmArgs {
  std::string ws, user, item, lang = "zh", backend;
  std::map<std::string, std::string> set;  // llm.* overrides from flags
  std::string base_url, model, api_key_env, endpoint, model_path;
  double timeout = -1;
  int retries = -1, concurrency = -1, threads = -1;
  bool stream = false, no_cache = false, no_regenerate = false, show_prompt = false;
};

// A command about one user (explain, reason): the recommender's engine, when the task builds
// it, holds that user's co-visitation rows alone. An unknown user is left to Generate's error.
void ScopeToUser(llm::Session& s, const std::string& stored) {
  if (auto u = s.rec().catalog->FindUser(stored)) s.ScopeEngine({.users = {*u}, .items = {}});
}

void AddBackendOptions(CLI::App* cmd, LlmArgs& a) {
  cmd->add_option("WORKSPACE", a.ws, "workspace folder")->required();
  cmd->add_option("--backend", a.backend, "template | openai | local (default: llm.backend, else template)");
  cmd->add_option("--base-url", a.base_url, "openai: server URL, e.g. http://127.0.0.1:8080/v1 (llm.base_url)");
  cmd->add_option("--model", a.model, "openai: model name sent to the server (llm.model)");
  cmd->add_option("--api-key-env", a.api_key_env, "openai: environment variable holding the API key (llm.api_key_env)");
  cmd->add_option("--endpoint", a.endpoint, "openai: chat or completions (llm.endpoint)");
  cmd->add_flag("--stream", a.stream, "openai: stream with server-sent events (llm.stream)");
  cmd->add_option("--timeout", a.timeout, "openai: seconds for one call, retries included (llm.total_timeout_s)")
      ->check(PositiveFinite());
  cmd->add_option("--retries", a.retries, "openai: retries on connection errors, timeouts, 429, 5xx (llm.max_retries)")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--concurrency", a.concurrency, "openai: requests in flight (llm.max_concurrency)")->check(CLI::Range(1, 1024));
  cmd->add_option("--model-path", a.model_path, "local: GGUF model file (llm.model_path)");
  cmd->add_option("--threads", a.threads, "local: cores per generation, 0 = all (llm.threads)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--no-cache", a.no_cache, "do not reuse a cached text");
  cmd->add_flag("--no-regenerate", a.no_regenerate, "do not ask again when a text has unsupported claims");
}

std::unique_ptr<llm::Backend> MakeBackendFor(Workspace& ws, const LlmArgs& a) {
  llm::BackendConfig c = llm::BackendConfigFromWorkspace(ws);
  const auto set = [&](const char* key, const std::string& v) {
    if (!v.empty()) ThrowIfError(llm::SetBackendOption(c, key, v));
  };
  set("backend", a.backend);
  set("base_url", a.base_url);
  set("model", a.model);
  set("api_key_env", a.api_key_env);
  set("endpoint", a.endpoint);
  set("model_path", a.model_path);
  if (a.threads >= 0) ThrowIfError(llm::SetBackendOption(c, "threads", std::to_string(a.threads)));
  if (a.stream) c.stream = true;
  if (a.timeout >= 0) c.total_timeout_s = a.timeout;
  if (a.retries >= 0) c.max_retries = a.retries;
  if (a.concurrency > 0) c.max_concurrency = a.concurrency;
  return Unwrap(llm::MakeBackend(c));
}

llm::WriterOptions WriterOpts(const LlmArgs& a, const Workspace& ws) {
  llm::WriterOptions o = llm::WriterOptionsFrom(llm::BackendConfigFromWorkspace(ws));
  o.use_cache = !a.no_cache;
  o.regenerate = !a.no_regenerate;
  return o;
}

void PrintText(const llm::GeneratedText& t, bool show_prompt) {
  if (show_prompt)
    for (const auto& m : t.prompt) std::cout << "[" << m.role << "]\n" << m.content << "\n\n";
  std::cout << t.text << "\n";
  std::cout << fmt::format("-- faithfulness {:.2f} ({}/{} claims supported{}), {} / {}, prompt {}, {}{}\n", t.faithfulness,
                           t.claims - t.unsupported, t.claims, t.first_faithfulness < t.faithfulness ? fmt::format(
                               "; first attempt {:.2f}", t.first_faithfulness) : "",
                           t.backend, t.model, t.prompt_version, t.cached ? "cached" : "generated",
                           t.attempts > 1 ? ", regenerated once" : "");
  for (const auto& r : t.check.removed) std::cout << "   removed: " << r << "\n";
  for (const auto& c : t.check.claims)
    if (!c.supported) std::cout << "   unsupported: " << c.why << "\n";
}

// Prints the text (or its JSON) and returns the exit code. A text whose every sentence the
// claim checker removed is printed with the reasons, then ends the command with an error: there
// is no text to use, and none was cached.
int EmitText(Registry& reg, const llm::Session& s, const llm::GeneratedText& t, bool show_prompt) {
  Emit(*reg.globals, t.ToJson(s.graph()), [&] { PrintText(t, show_prompt); });
  if (Trim(t.text).empty())
    throw Error(Status::Aborted(fmt::format(
        "no {} text: the claim checker removed every sentence of the answer ({} of {} claims unsupported); nothing was "
        "cached, the next call asks the model again",
        llm::TaskName(t.task), t.unsupported, t.claims)));
  return 0;
}

void AddTaskCommand(CLI::App* llm, Registry& reg, llm::Task task, const char* help) {
  auto* cmd = llm->add_subcommand(llm::TaskName(task), help);
  auto a = std::make_shared<LlmArgs>();
  AddBackendOptions(cmd, *a);
  cmd->add_option("--user", a->user, "user id as ingested, or its stored pseudonym")->required();
  if (task == llm::Task::kExplain) cmd->add_option("--item", a->item, "item id (as ingested)")->required();
  cmd->add_option("--lang", a->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}))->capture_default_str();
  cmd->add_flag("--show-prompt", a->show_prompt, "print the prompt sent (facts and pseudonym only)");
  cmd->callback([&reg, a, task] {
    *reg.selected = [&reg, a, task] {
      auto w = OpenWorkspace(a->ws);
      auto backend = MakeBackendFor(*w, *a);
      const std::string user = StoredUser(*w, a->user);
      // A summary or copy reads one user's edges; an explanation walks the recommender's graph.
      GraphLoadOptions graph;
      if (task != llm::Task::kExplain) graph.users = std::vector<std::string>{user};
      auto s = Unwrap(llm::Session::Open(*w, graph));
      if (task == llm::Task::kExplain) ScopeToUser(*s, user);
      auto t = Unwrap(s->Generate(*backend, task, user, a->lang, a->item, WriterOpts(*a, *w)));
      return EmitText(reg, *s, t, a->show_prompt);
    };
  });
}

}  // namespace

CLI::App* AddLlmCommands(CLI::App& app, Registry& reg) {
  auto* llm = app.add_subcommand("llm", "grounded text from the knowledge graph: summaries, copy, explanations, reasoning");
  llm->require_subcommand(1);
  AddTaskCommand(llm, reg, llm::Task::kSummary, "profile summary for marketers / CRM, from the profile and its evidence");
  AddTaskCommand(llm, reg, llm::Task::kCopy, "personalised marketing copy with a coupon fitted to price sensitivity");
  AddTaskCommand(llm, reg, llm::Task::kExplain, "why an item is recommended, from knowledge-graph paths");
  {
    auto* cmd = llm->add_subcommand("reason", "preference rationale and re-ranked candidates (KAR); --eval: with vs without");
    auto a = std::make_shared<LlmArgs>();
    auto eval = std::make_shared<bool>(false);
    a->lang = "en";
    AddBackendOptions(cmd, *a);
    cmd->add_option("--user", a->user, "user id as ingested, or its stored pseudonym");
    cmd->add_option("--lang", a->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}))->capture_default_str();
    cmd->add_flag("--eval", *eval, "measure the reasoning features on the recommender's temporal holdout (refits the ranker)");
    cmd->callback([&reg, a, eval] {
      *reg.selected = [&reg, a, eval] {
        auto w = OpenWorkspace(a->ws);
        auto backend = MakeBackendFor(*w, *a);
        auto s = Unwrap(llm::Session::Open(*w));
        if (*eval) {
          llm::KarEvalOptions o;
          o.lang = a->lang;
          o.writer = WriterOpts(*a, *w);
          o.fit.train_kge = false;
          size_t calls = 0;
          double faith = 0;
          auto r = Unwrap(llm::EvaluateReasoning(*w, *s, *backend, o, &calls, &faith));
          nlohmann::json j = r.ToJson();
          j["llm_calls"] = calls;
          j["mean_faithfulness"] = faith;
          Emit(*reg.globals, j, [&] {
            std::cout << fmt::format("{} reasonings ({} backend, mean faithfulness {:.3f}); {} held-out users, k={}\n", calls,
                                     backend->Name(), faith, r.test_users, r.k);
            for (const auto& m : r.holdout)
              std::cout << fmt::format("  {:<52} recall@{} {:.4f}  NDCG@{} {:.4f}\n", m.method, r.k, m.at_k.recall, r.k,
                                       m.at_k.ndcg);
          });
          return 0;
        }
        if (a->user.empty()) throw Error(Status::InvalidArgument("llm reason: give --user ID, or --eval"));
        const std::string user = StoredUser(*w, a->user);
        ScopeToUser(*s, user);
        auto t = Unwrap(s->Generate(*backend, llm::Task::kReason, user, a->lang, "", WriterOpts(*a, *w)));
        return EmitText(reg, *s, t, false);
      };
    });
  }
  {
    auto* cmd = llm->add_subcommand("refresh", "regenerate the texts of users whose tags changed beyond a threshold");
    auto a = std::make_shared<LlmArgs>();
    auto threshold = std::make_shared<double>(0.2);
    auto task = std::make_shared<std::string>("summary");
    AddBackendOptions(cmd, *a);
    cmd->add_option("--threshold", *threshold, "L1 distance of the tag vector (leaf categories + brands) since the text")
        ->capture_default_str()
        ->check(NonNegativeFinite());
    cmd->add_option("--lang", a->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}))->capture_default_str();
    cmd->add_option("--task", *task, "summary, copy or reason")->check(CLI::IsMember({"summary", "copy", "reason"}))
        ->capture_default_str();
    cmd->callback([&reg, a, threshold, task] {
      *reg.selected = [&reg, a, threshold, task] {
        auto w = OpenWorkspace(a->ws);
        auto backend = MakeBackendFor(*w, *a);
        auto s = Unwrap(llm::Session::Open(*w));
        auto r = Unwrap(s->Refresh(*backend, *threshold, a->lang, *llm::ParseTask(*task), WriterOpts(*a, *w)));
        nlohmann::json changed = nlohmann::json::array();
        for (const auto& [alias, d] : r.changed) changed.push_back({{"alias", alias}, {"distance", d}});
        Emit(*reg.globals,
             {{"users_with_text", r.users_with_text}, {"regenerated", r.regenerated}, {"unchanged", r.unchanged},
              {"threshold", r.threshold}, {"changed", changed}, {"failed", r.failures}, {"not_tried", r.not_tried}},
             [&] {
               std::cout << fmt::format("{} users with a {} text: {} regenerated (tags moved > {}), {} unchanged\n",
                                        r.users_with_text, *task, r.regenerated, r.threshold, r.unchanged);
               if (!r.failures.empty())
                 std::cout << fmt::format("{} could not be regenerated and keep their old text:\n", r.failures.size());
               for (const auto& f : r.failures) std::cout << "   failed: " << f << "\n";
               if (r.not_tried)
                 std::cout << fmt::format("{} more were not tried after {} failures in a row\n", r.not_tried,
                                          llm::kRefreshGiveUp);
             });
        // The report stands for the users done; the exit status tells a scheduler some were not.
        if (!r.failures.empty())
          throw Error(Status::Aborted(fmt::format("{} of {} texts to regenerate failed{}; first: {}", r.failures.size(),
                                                  r.failures.size() + r.regenerated + r.not_tried,
                                                  r.not_tried ? fmt::format(", {} not tried", r.not_tried) : "",
                                                  r.failures[0])));
        return 0;
      };
    });
  }
  {
    auto* cmd = llm->add_subcommand("faithfulness", "claim-check texts for the most active users; rate per backend");
    auto a = std::make_shared<LlmArgs>();
    auto users = std::make_shared<size_t>(50);
    auto tasks = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"summary", "copy", "explain"});
    a->lang = "both";
    AddBackendOptions(cmd, *a);
    cmd->add_option("--users", *users, "users (most events first)")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{100000000}));
    cmd->add_option("--tasks", *tasks, "tasks")->check(CLI::IsMember({"summary", "copy", "explain", "reason"}))
        ->capture_default_str();
    cmd->add_option("--lang", a->lang, "zh, en or both")->check(CLI::IsMember({"zh", "en", "both"}))->capture_default_str();
    cmd->callback([&reg, a, users, tasks] {
      *reg.selected = [&reg, a, users, tasks] {
        auto w = OpenWorkspace(a->ws);
        auto backend = MakeBackendFor(*w, *a);
        auto s = Unwrap(llm::Session::Open(*w));
        std::vector<llm::Task> ts;
        for (const auto& t : *tasks) ts.push_back(*llm::ParseTask(t));
        std::vector<std::string> langs = a->lang == "both" ? std::vector<std::string>{"zh", "en"} : std::vector<std::string>{a->lang};
        auto r = Unwrap(s->Faithfulness(*backend, *users, ts, langs, WriterOpts(*a, *w)));
        Emit(*reg.globals, r.ToJson(), [&] {
          if (r.texts == 0)
            std::cout << fmt::format("{} ({}): no text written, nothing rated\n", r.backend, r.model);
          else
            std::cout << fmt::format(
                "{} ({}): {} texts, {} claims, {:.4f} supported; mean per text {:.4f} first attempt, {:.4f} kept; "
                "{} regenerated, {} sentences removed; {} texts without a checkable claim, {} empty\n",
                r.backend, r.model, r.texts, r.claims, r.claim_rate(), r.mean_first, r.mean_final, r.regenerated,
                r.sentences_removed, r.without_claims, r.empty);
          if (r.errors) std::cout << fmt::format("{} texts could not be written:\n", r.errors);
          for (const auto& f : r.failures) std::cout << "   failed: " << f << "\n";
          if (r.not_tried)
            std::cout << fmt::format("{} texts not tried: {} failures in a row (is the backend down?)\n", r.not_tried,
                                     llm::kRefreshGiveUp);
        });
        // Some texts failed: the report stands for the others. None written: nothing to rate.
        if (r.texts == 0 && r.errors > 0)
          throw Error(Status::Aborted(fmt::format("no text could be written ({} failed{}; first: {})", r.errors,
                                                  r.not_tried ? fmt::format(", {} not tried", r.not_tried) : "",
                                                  r.failures[0])));
        return 0;
      };
    });
  }
  return llm;
}

}  // namespace kgp::cli
