// What the route handlers share (internal to src/service): the loaded workspace, the writer,
// the live profiles, metrics, keys, and the helpers every handler uses (JSON replies, errors,
// query parameters, profile lookup).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "llm/backend.h"
#include "llm/writer.h"
#include "profile/profile.h"
#include "recommend/pipeline.h"
#include "service/erasure_jobs.h"
#include "service/event_writer.h"
#include "service/keys.h"
#include "service/live_profiles.h"
#include "service/metrics.h"
#include "service/response_cache.h"
#include "service/server.h"
#include "store/workspace.h"

namespace kgp::service {

// RFM scores, segment and cluster: population-relative, read from the profile tables at start.
struct StaticProfileFacts {
  int r = 0, f = 0, m = 0, cluster = -1;
  std::string rfm_segment;
  std::string ext_id;  // whose: an erased user's users.id can be given to the next new user
};

// The profile tables' population-relative figures, as of one `profile build`/`update`.
struct StaticFacts {
  int64_t version = 0;  // meta 'profiles_version' when read
  std::unordered_map<uint32_t, StaticProfileFacts> by_user;  // by users.id
  std::map<int, std::string> cluster_labels;
};


struct Context {
  ServerOptions opts;
  std::string ws_dir;
  Metrics metrics;
  LiveProfiles live;
  std::unique_ptr<ResponseCache> profile_cache;  // GET profile bodies (service/response_cache.h)

  // Read side: one workspace connection for audiences, segments, key reloads and language-model
  // texts (its Db serves one thread at a time: db_mu).
  std::mutex db_mu;
  std::unique_ptr<Workspace> ws;
  std::unique_ptr<llm::Session> session;        // null when it could not be opened
  std::unique_ptr<llm::Backend> backend;        // for /summary
  llm::WriterOptions summary_opts;              // its llm.max_tokens and llm.temperature
  std::string llm_error;                        // why session/backend are null
  // One /summary at a time per user and language: a second request for the same text waits for
  // the first and is then answered from the text cache instead of calling the model again.
  std::mutex summary_gates_mu;
  std::map<std::string, std::weak_ptr<std::mutex>> summary_gates;
  std::unique_ptr<rec::RecContext> own_rec;     // when there is no session
  rec::RecContext* rec = nullptr;               // the recommender (graph, items, engine); immutable
  // RFM scores, clusters and their labels from the profile tables, replaced when a `profile
  // update` rewrites them (CurrentFacts); readers hold the snapshot they took.
  std::atomic<std::shared_ptr<const StaticFacts>> facts;
  std::atomic<int64_t> facts_checked_ms{0};
  // Every route's path pattern and method, filled while routes are added (read-only after), so
  // that a known path asked with another method is answered 405 with Allow. raw, when set, must
  // match the path as sent (before percent-decoding) too.
  struct RouteEntry {
    std::regex path;
    std::string method;
    std::optional<std::regex> raw;
  };
  std::vector<RouteEntry> routes;

  std::unique_ptr<EventWriter> writer;
  ErasureJobs erasure_jobs;  // POST /v1/erasures with "async": true

  // API keys by digest, reloaded from the workspace every few seconds (revocations apply).
  std::shared_mutex keys_mu;
  std::unordered_map<std::string, ApiKeyInfo> keys;
  std::atomic<int64_t> keys_loaded_ms{0};
  // Token buckets per key id.
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex rate_mu;
  std::unordered_map<std::string, Bucket> buckets;

  const Graph& graph() const { return *rec->profile.graph; }
  const ItemIndex& items() const { return *rec->profile.items; }
};

// The caller of a request, once authenticated.
struct Caller {
  ApiKeyInfo key;
};

using Handler = std::function<void(Context&, const httplib::Request&, httplib::Response&, const Caller&)>;

// Registers a route: authentication (scope; open when scope is nullopt), rate limit, metrics,
// and exceptions turned into 500 JSON errors. name labels the route in /metrics. httplib
// matches pattern against the percent-decoded path; raw_pattern, when given, must match the
// path as sent too (an id that is one segment, "/" sent as %2F), else the request is answered
// as no route's (405 with Allow, or 404).
void AddRoute(httplib::Server& svr, Context& ctx, const std::string& method, const std::string& pattern,
              const std::string& name, std::optional<Scope> scope, Handler h, const char* raw_pattern = nullptr);

// Re-reads the workspace's API keys (route.cc; at start and every 2 s while serving).
void ReloadKeys(Context& ctx);

// The methods registered for a request's path, sorted; empty when no route matches it.
std::vector<std::string> AllowedMethods(const Context& ctx, const httplib::Request& req);

void AddEventRoutes(httplib::Server& svr, Context& ctx);
void AddUserRoutes(httplib::Server& svr, Context& ctx);
void AddGraphRoutes(httplib::Server& svr, Context& ctx);  // items/related, graph neighbours and paths
void AddAudienceRoutes(httplib::Server& svr, Context& ctx);
void AddSystemRoutes(httplib::Server& svr, Context& ctx);  // /, /healthz, /metrics

// Answers with Connection: close and closes the connection after this response (plain HTTP;
// service/connections.h): after a malformed request or a body left unread.
void CloseConnection(httplib::Response& res);
// {"error": {"code", "message"}} with the HTTP status.
void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message);
void SendJson(httplib::Response& res, const nlohmann::json& j, int status = 200);
void SendJson(httplib::Response& res, const nlohmann::ordered_json& j, int status = 200);
// The HTTP status and error code for a Status (InvalidArgument 400, NotFound 404, …).
void SendStatus(httplib::Response& res, const Status& s);
// The HTTP status and error code SendStatus answers a Status with (200 and "" for OK).
struct HttpError {
  int status;
  const char* code;
};
HttpError HttpErrorOf(const Status& s);

// A non-negative integer query parameter within [0, max]; fallback when absent.
Result<size_t> SizeParam(const httplib::Request& req, const std::string& name, size_t fallback, size_t max);
Result<bool> BoolParam(const httplib::Request& req, const std::string& name, bool fallback);  // else 400

// The stored form of a client-supplied user id: its pseudonym in a pseudonymised workspace,
// or the id itself when that is a stored pseudonym with a profile (ids from /v1/audiences).
std::string StoredUser(Context& ctx, const std::string& client_id);
// The profile of a client-supplied user id as of the latest committed batch: finalized from
// the live state, demographics and mentions from the graph, RFM and cluster from the tables.
// NotFound for an unknown user or one without events.
Result<Profile> LiveProfile(Context& ctx, const std::string& raw_user_id);
// The NotFound every user route answers for an id without a live profile.
Status NoProfile(const std::string& raw_user_id);
// The same from a view already looked up (view.state is the user's state).
// Reads the facts from the profile tables (under db_mu, or before serving).
std::shared_ptr<const StaticFacts> LoadStaticFacts(Db& db);
// The facts, reloaded first when the profile tables changed since (checked every 2 s at most,
// skipped while another request holds db_mu).
std::shared_ptr<const StaticFacts> CurrentFacts(Context& ctx);
Profile FinalizeLive(Context& ctx, const StaticFacts& facts, const LiveProfiles::View& view,
                     const std::string& stored_id);
// The graph was loaded at start: users erased since then are still in it, and no answer may
// show them or pass through them (graph endpoints, explanation paths).
std::function<bool(NodeId)> ErasedUsers(const Context& c);

// Whom the recommender is asked about, for a client-supplied user id.
struct RecTarget {
  uint32_t user = 0;                // the recommender's id (users.id), or rec::kNewUser
  std::string stored;               // the stored id, which answers name the user by
  std::vector<ProfileEvent> posted;  // events posted since start (rec::Engine::Candidates `since`)
};
// NotFound for an id without a live profile (unknown, no events, or erased and not back).
// A user the recommender's history does not know (first seen after start-up, or an id that
// posted again after its erasure: its users.id may even be an erased user's) is kNewUser and
// served from its posted events alone.
Result<RecTarget> RecUser(Context& ctx, const std::string& raw_user_id);

}  // namespace kgp::service
