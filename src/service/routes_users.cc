// /v1/users/{id}/…: profile, recommendations, next purchase, summary; DELETE /v1/users/{id};
// POST /v1/erasures (many users in one run) and GET /v1/erasures/{job} (asynchronous runs).
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "recommend/json.h"
#include "service/context.h"

namespace kgp::service {
namespace {

// Ids may hold "/" (sent as %2F; the path is matched decoded), so an id is any non-empty run.
constexpr const char* kUser = R"(/v1/users/(.+))";

std::string Pattern(const char* suffix) { return std::string(kUser) + suffix; }

void GetProfile(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto tags = SizeParam(req, "tags", 20, 200);
  auto paths = SizeParam(req, "paths", 0, 5);
  if (!tags.ok() || !paths.ok()) return SendStatus(res, tags.ok() ? paths.status() : tags.status());
  const std::string raw = req.matches[1];
  const std::string stored = StoredUser(c, raw);
  auto view = c.live.Find(stored);
  if (!view) return SendStatus(res, NoProfile(raw));
  const std::shared_ptr<const StaticFacts> facts = CurrentFacts(c);
  // The facts' version is in the key: a `profile update` renumbers clusters and rescores RFM.
  const ResponseCache::Key key{view->state, view->as_of,
                               static_cast<uint32_t>((facts->version & 0xFFFF) << 16 | *tags << 8 | *paths)};
  if (auto body = c.profile_cache->Find(view->user, key)) {
    res.set_content(std::move(*body), "application/json");
    return;
  }
  const Profile p = FinalizeLive(c, *facts, *view, stored);
  // No evidence paths for an erased id that came back: they would run through the erased node.
  nlohmann::ordered_json j = ToJson(c.graph(), p, *tags, c.live.Erased(stored) ? 0 : *paths);
  auto label = facts->cluster_labels.find(p.cluster);
  j["segments"]["cluster_label"] = label == facts->cluster_labels.end() ? "" : label->second;
  std::string body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  c.profile_cache->Put(view->user, key, body);
  res.set_content(std::move(body), "application/json");
}

void Recommendations(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto k = SizeParam(req, "k", 10, 100);
  if (!k.ok()) return SendStatus(res, k.status());
  auto explain = BoolParam(req, "explain", false);
  if (!explain.ok()) return SendStatus(res, explain.status());
  auto t = RecUser(c, req.matches[1]);
  if (!t.ok()) return SendStatus(res, t.status());
  nlohmann::json j = rec::RecommendationsJson(*c.rec, t->user, *k, *explain, t->posted, ErasedUsers(c));
  j["user"] = t->stored;
  SendJson(res, j);
}

void NextPurchase(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto k = SizeParam(req, "k", 5, 50);
  if (!k.ok()) return SendStatus(res, k.status());
  auto t = RecUser(c, req.matches[1]);
  if (!t.ok()) return SendStatus(res, t.status());
  nlohmann::json j = rec::NextPurchaseJson(*c.rec, t->user, *k, t->posted);
  j["user"] = t->stored;
  SendJson(res, j);
}

// The backend, called with the read connection's lock released (the session holds no
// statement across a model call: llm/writer.cc Session::Run). Backends are thread-safe.
class UnlockedBackend final : public llm::Backend {
 public:
  UnlockedBackend(llm::Backend& b, std::unique_lock<std::mutex>& lock) : b_(b), lock_(lock) {}
  std::string Name() const override { return b_.Name(); }
  std::string Model() const override { return b_.Model(); }
  Result<llm::Completion> Complete(const llm::ChatRequest& req) override {
    lock_.unlock();
    struct Relock {
      std::unique_lock<std::mutex>& l;
      ~Relock() { l.lock(); }
    } relock{lock_};
    return b_.Complete(req);
  }

 private:
  llm::Backend& b_;
  std::unique_lock<std::mutex>& lock_;
};

// The gate of one (user, language): shared by the requests waiting on it, dropped with the last.
std::shared_ptr<std::mutex> SummaryGate(Context& c, const std::string& key) {
  std::lock_guard lock(c.summary_gates_mu);
  std::weak_ptr<std::mutex>& slot = c.summary_gates[key];
  std::shared_ptr<std::mutex> gate = slot.lock();
  if (!gate) slot = gate = std::make_shared<std::mutex>();
  if (c.summary_gates.size() > 256)  // forget the gates nobody holds
    std::erase_if(c.summary_gates, [](const auto& kv) { return kv.second.expired(); });
  return gate;
}

void Summary(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  const std::string lang = req.has_param("lang") ? req.get_param_value("lang") : "en";
  if (lang != "en" && lang != "zh") return SendError(res, 400, "invalid_argument", "query parameter 'lang': en or zh");
  auto p = LiveProfile(c, req.matches[1]);
  if (!p.ok()) return SendStatus(res, p.status());
  if (!c.session || !c.backend)
    return SendError(res, 503, "unavailable", "the language-model layer is not available: " + c.llm_error);
  std::shared_ptr<std::mutex> gate = SummaryGate(c, fmt::format("{}\x1f{}", p->user, lang));
  std::lock_guard one_at_a_time(*gate);
  // The session reads and writes its text cache on the read connection (db_mu), but the model
  // call in between runs without the lock: a slow remote model stalled every request that
  // needs the connection (audiences, segments, key reloads).
  std::unique_lock lock(c.db_mu);
  UnlockedBackend backend(*c.backend, lock);
  auto t = c.session->Generate(backend, llm::Task::kSummary, *p, lang, -1, c.summary_opts);
  if (!t.ok()) return SendStatus(res, t.status());
  nlohmann::json j = t->ToJson(c.graph());
  j["user"] = req.matches[1];
  SendJson(res, j);
}

void Erase(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto r = c.writer->Erase({req.matches[1]}).get();
  if (!r.ok()) return SendStatus(res, r.status());
  if (!(*r)[0].ok()) return SendStatus(res, (*r)[0].status());
  // The receipt with its verification code: returned, never stored on disk (privacy/erase.h).
  SendJson(res, nlohmann::json{{"erased", true}, {"receipt", (*r)[0]->Json()}});
}

// POST /v1/erasures {"user_ids": [...]}: the users erased in one run (privacy::EraseUsers: one
// VACUUM, one pass over each file), a result per id in the order given, naming none of them.
// A list fits the default body limit (1 MiB: 10,000 pseudonyms of 64 characters) and one
// answer (a receipt per id).
constexpr size_t kMaxErasures = 10000;

void EraseList(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(res, 400, "bad_json", "the body must be a JSON object");
  const auto& list = body.contains("user_ids") ? body["user_ids"] : nlohmann::json();
  if (!list.is_array() || list.empty() || list.size() > kMaxErasures ||
      !std::all_of(list.begin(), list.end(), [](const nlohmann::json& v) { return v.is_string(); }))
    return SendError(res, 400, "invalid_argument",
                     fmt::format("'user_ids' is required: an array of 1 to {} user ids (strings)", kMaxErasures));
  const auto& async = body.contains("async") ? body["async"] : nlohmann::json(false);
  if (!async.is_boolean()) return SendError(res, 400, "invalid_argument", "'async' must be true or false");
  if (async.get<bool>()) {
    // Answered now; the run's answer waits in memory for GET /v1/erasures/{job}.
    auto ids = list.get<std::vector<std::string>>();
    auto job = c.erasure_jobs.Start(ids.size(), [&](std::function<void()> on_end) {
      return c.writer->Erase(std::move(ids), std::move(on_end));
    });
    if (!job.ok()) return SendStatus(res, job.status());
    res.set_header("Location", "/v1/erasures/" + (*job)["job"].get<std::string>());
    return SendJson(res, *job, 202);
  }
  auto answer = ErasureAnswer(c.writer->Erase(list.get<std::vector<std::string>>()).get());
  if (!answer.ok()) return SendStatus(res, answer.status());
  SendJson(res, *answer);
}

// GET /v1/erasures/{job}: an asynchronous run's status, and its answer once it has ended.
void ErasureJob(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  // A HEAD is served by this handler too: it shows the status without counting as a fetch of the
  // answer, which would let the answer be dropped unread to make room.
  auto job = c.erasure_jobs.Find(req.matches[1], req.method != "HEAD");
  if (!job)
    return SendError(res, 404, "not_found",
                     fmt::format("no erasure job '{}' (unknown, from before the server started, or its answer was "
                                 "dropped {} s after the run ended or, once fetched, to make room)",
                                 std::string(req.matches[1]), ErasureJobs::kKeepSeconds));
  SendJson(res, *job);
}

}  // namespace

void AddUserRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "GET", Pattern("/profile"), "get_profile", Scope::kRead, GetProfile);
  AddRoute(svr, ctx, "GET", Pattern("/recommendations"), "get_recommendations", Scope::kRead, Recommendations);
  AddRoute(svr, ctx, "GET", Pattern("/next-purchase"), "get_next_purchase", Scope::kRead, NextPurchase);
  AddRoute(svr, ctx, "GET", Pattern("/summary"), "get_summary", Scope::kRead, Summary);
  // The id as one segment of the path as sent ("/" as %2F): DELETE /v1/users/1/profile is not
  // the erasure of a user "1/profile" (405: the profile is only read).
  AddRoute(svr, ctx, "DELETE", Pattern(""), "delete_user", Scope::kAdmin, Erase, R"(/v1/users/[^/]+)");
  AddRoute(svr, ctx, "POST", "/v1/erasures", "post_erasures", Scope::kAdmin, EraseList);
  AddRoute(svr, ctx, "GET", R"(/v1/erasures/([0-9a-f]{24}))", "get_erasure", Scope::kAdmin, ErasureJob);
}

}  // namespace kgp::service
