// The language-model tasks over a workspace (`kgprofile llm …`, docs/llm.md): profile summary,
// marketing copy with a coupon, recommendation explanation, preference reasoning (KAR-style,
// kar.h). Each task builds a fact sheet from the graph and the profile (facts.h), renders its
// versioned prompt (prompts.h) with the user's pseudonym only, refuses to send a prompt that
// holds the user's id or PII (common/pii.h), asks the backend, checks every claim (claims.h),
// asks once more naming the unsupported claims when there are any, removes the sentences still
// unsupported and caches the result with its faithfulness and facts (cache.h).
// A Session is used by one thread at a time (it owns the workspace's Db use).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "llm/backend.h"
#include "llm/cache.h"
#include "llm/claims.h"
#include "llm/facts.h"
#include "llm/lexicon.h"
#include "profile/profile.h"
#include "recommend/pipeline.h"
#include "store/workspace.h"

namespace kgp::llm {

enum class Task { kSummary, kCopy, kExplain, kReason };
const char* TaskName(Task t);  // "summary", "copy", "explain", "reason"
std::optional<Task> ParseTask(std::string_view s);

struct WriterOptions {
  bool use_cache = true;
  bool regenerate = true;  // one more request when the first text has unsupported claims
  size_t categories = 4, brands = 3, purchases = 3, candidates = 10;  // facts per prompt
  int max_tokens = 400;
  double temperature = 0.7;
};
// The options with a backend configuration's generation settings (llm.max_tokens,
// llm.temperature in kgprofile.conf; they were validated and then not used).
WriterOptions WriterOptionsFrom(const BackendConfig& c, WriterOptions o = {});

// The price of a user's (?1) latest purchase of an item (?2) that carried one: what a text says
// they paid. By the purchases' partial index (schema 12), not a scan of every event.
std::string LastPaidPriceSql();

struct GeneratedText {
  Task task = Task::kSummary;
  std::string lang, backend, model, prompt_version, input_hash;
  uint32_t user = 0;
  int64_t item = -1;
  std::string text;         // checked: sentences with unsupported claims removed
  std::string raw;          // the backend's text that was kept (best attempt)
  double faithfulness = 1;  // of raw: supported claims / claims
  double first_faithfulness = 1;  // of the first attempt (before any regeneration)
  size_t claims = 0, unsupported = 0;
  int attempts = 1;         // backend calls (1, or 2 after a regeneration)
  bool cached = false;
  FactSheet facts;
  CheckResult check;        // of raw (empty when cached)
  std::vector<ChatMessage> prompt;
  std::map<std::string, double> tags;
  nlohmann::json ToJson(const Graph& g) const;
};

struct FaithfulnessReport {
  std::string backend, model;
  size_t texts = 0, claims = 0, supported = 0, regenerated = 0, sentences_removed = 0;
  // Texts that make no checkable claim, and texts left empty: a rate of 1.0 over texts that
  // say nothing checkable is vacuous, so both are reported beside it.
  size_t without_claims = 0, empty = 0;
  // Texts that could not be written (a prompt the PII guard refused, a backend error, an empty
  // answer): counted and listed, "user ID, task lang: error"; the run goes on with the others.
  size_t errors = 0;
  std::vector<std::string> failures;
  // After kRefreshGiveUp failures in a row (a backend that is down: each try waited out its
  // timeout and retries) the remaining texts are not tried.
  size_t not_tried = 0;
  double mean_first = 0, mean_final = 0;  // mean faithfulness per text, first attempt / kept attempt
  double claim_rate() const { return claims ? static_cast<double>(supported) / static_cast<double>(claims) : 1.0; }
  // ToJson: claim_faithfulness and the means are null when no text was written (a rate of 1 over
  // nothing is no measurement).
  nlohmann::json ToJson() const;
};

struct RefreshReport {
  size_t users_with_text = 0, regenerated = 0, unchanged = 0;
  double threshold = 0;
  std::vector<std::pair<std::string, double>> changed;  // alias, distance (regenerated users)
  // Users whose text could not be written keep their old one; the others go on. After
  // kRefreshGiveUp failures in a row (a backend that is down) the rest are not tried.
  std::vector<std::string> failures;  // "user ALIAS: reason"
  size_t not_tried = 0;
};
inline constexpr size_t kRefreshGiveUp = 5;

class Session {
 public:
  // Loads the graph, item index and catalogue of the workspace (the recommender's engine on
  // first use, Recommender()). graph: GraphLoadOptions{.users = {id}} for a session that writes
  // one user's summary or copy, without every other user's edges (no explain or reason then).
  static Result<std::unique_ptr<Session>> Open(Workspace& ws, const GraphLoadOptions& graph = {});

  Result<GeneratedText> Generate(Backend& b, Task t, const std::string& user_ext, const std::string& lang,
                                 const std::string& item_ext = "", const WriterOptions& opts = {});
  // The same for a store user id, with the profile already loaded (batch use).
  Result<GeneratedText> Generate(Backend& b, Task t, const Profile& p, const std::string& lang, int64_t item,
                                 const WriterOptions& opts);

  // Regenerates the summaries (task, lang, backend) of users whose tag vector moved more than
  // threshold (L1) since their cached text.
  Result<RefreshReport> Refresh(Backend& b, double threshold, const std::string& lang, Task t = Task::kSummary,
                                const WriterOptions& opts = {});
  // Generates (no cache) for the first n users with the most events, both languages, the tasks
  // given, and aggregates the claim checks.
  Result<FaithfulnessReport> Faithfulness(Backend& b, size_t n, const std::vector<Task>& tasks,
                                          const std::vector<std::string>& langs, WriterOptions opts = {});

  // The facts a task's prompt carries for a profile (tests, `llm facts`).
  Result<FactSheet> Facts(Task t, const Profile& p, const std::string& lang, int64_t item, const WriterOptions& opts);
  // The user's pseudonym: "u_" + 10 hex digits of HMAC-SHA256(workspace secret, ext id). The
  // secret is the pseudonym key when the workspace has one, else a random salt kept in meta.
  std::string Alias(const std::string& ext_id);
  // Values that must never appear in a prompt for this user: ext id, zip, … (users table).
  std::vector<std::string> PiiValues(const Profile& p);
  // The tag vector refresh compares: leaf categories and brands, top 10 each.
  std::map<std::string, double> TagVector(const Profile& p) const;

  Result<Profile> LoadUserProfile(const std::string& user_ext);
  Result<std::vector<Profile>> LoadAllProfiles();
  Workspace& workspace() { return ws_; }
  const Lexicon& lexicon() const { return *lexicon_; }
  const ClaimChecker& checker() const { return *checker_; }
  // Graph, item index and catalogue; the engine is empty until Recommender() has built it.
  rec::RecContext& rec() { return *rec_; }
  // The recommender with its engine, built from the store's events on first use: summaries
  // and copy need only the catalogue, and a per-user command should not pay O(events) for it.
  Result<rec::RecContext*> Recommender();
  // Before the first Recommender(): its engine is built for these users and items alone
  // (rec::EngineOptions::scope), as a command about one user needs it; asked about others, it
  // throws std::logic_error.
  void ScopeEngine(rec::EngineOptions::Scope scope) { engine_opts_.scope = std::move(scope); }
  const Graph& graph() const { return *rec_->profile.graph; }

  // Shared by the profile path and the KAR evaluation (facts as of a past cut, kar.h).
  struct PreferenceInput {
    std::string alias;
    std::vector<std::pair<NodeId, double>> categories, brands;  // strongest first
    std::vector<NodeId> purchases;                              // newest first
    std::vector<NodeId> candidates;                             // products, in the recommender's order
  };
  FactSheet ReasonFacts(const PreferenceInput& in, const std::string& lang) const;
  // Renders a task's prompt for facts, calls the backend, checks, regenerates, caches.
  Result<GeneratedText> Run(Backend& b, Task t, FactSheet facts, const std::string& lang, uint32_t user, int64_t item,
                            const std::vector<std::string>& pii, const std::map<std::string, double>& tags,
                            const WriterOptions& opts);

 private:
  explicit Session(Workspace& ws) : ws_(ws) {}
  void AddUserFacts(const Profile& p, FactSheet& s, const std::string& lang, const WriterOptions& opts) const;
  Workspace& ws_;
  std::unique_ptr<rec::RecContext> rec_;
  Status engine_status_ = Status::Ok();  // of building rec_'s engine (Recommender)
  rec::EngineOptions engine_opts_;
  std::unique_ptr<Lexicon> lexicon_;
  std::unique_ptr<ClaimChecker> checker_;
  std::unique_ptr<TextCache> cache_;
  std::string secret_;
  std::string currency_ = "CNY";  // kgprofile.conf `currency`
};

}  // namespace kgp::llm
