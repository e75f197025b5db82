// What every route shares: authentication (keys re-read every 2 s), the per-key rate limit,
// metrics, the catch-all that turns exceptions into JSON errors, JSON replies, query
// parameters, and the live profile of a client's user id.
#include <algorithm>
#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "common/log.h"
#include "common/strings.h"
#include "privacy/budget.h"
#include "service/connections.h"
#include "service/context.h"

namespace kgp::service {

namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

}  // namespace

void ReloadKeys(Context& ctx) {
  Result<std::unordered_map<std::string, ApiKeyInfo>> keys = Status::Internal("not loaded");
  {
    std::lock_guard lock(ctx.db_mu);
    keys = LoadActiveKeys(ctx.ws->db());
  }
  if (!keys.ok()) {
    LOG_WRN("serve: reading API keys: {}", keys.status().message());
    return;
  }
  std::unique_lock lock(ctx.keys_mu);
  ctx.keys = std::move(keys).value();
  ctx.keys_loaded_ms.store(NowMs());
}

namespace {

std::string PresentedKey(const httplib::Request& req) {
  if (req.has_header("X-API-Key")) return req.get_header_value("X-API-Key");
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  return "";
}

// Checks the key and its scope; on failure writes the error reply and returns nullopt.
std::optional<Caller> Authenticate(Context& ctx, const httplib::Request& req, httplib::Response& res, Scope need) {
  const std::string key = PresentedKey(req);
  if (key.empty()) {
    SendError(res, 401, "unauthenticated", "an API key is required (header X-API-Key or Authorization: Bearer)");
    return std::nullopt;
  }
  // One request reloads (the one that moves the timestamp); the others go on with the keys
  // loaded, rather than all waiting for the read connection behind it.
  int64_t loaded = ctx.keys_loaded_ms.load();
  const int64_t now = NowMs();
  if (now - loaded > 2000 && ctx.keys_loaded_ms.compare_exchange_strong(loaded, now)) ReloadKeys(ctx);
  const std::string digest = HashApiKey(key);
  Caller c;
  {
    std::shared_lock lock(ctx.keys_mu);
    auto it = ctx.keys.find(digest);
    if (it == ctx.keys.end()) {
      SendError(res, 401, "unauthenticated", "unknown or revoked API key");
      return std::nullopt;
    }
    c.key = it->second;
  }
  if (c.key.scope < need) {
    SendError(res, 403, "forbidden",
              fmt::format("this endpoint needs scope '{}'; the key has '{}'", ScopeName(need), ScopeName(c.key.scope)));
    return std::nullopt;
  }
  return c;
}

bool TakeToken(Context& ctx, const std::string& key_id) {
  if (ctx.opts.rate_limit <= 0) return true;
  const auto now = SteadyClock::now();
  std::lock_guard lock(ctx.rate_mu);
  auto [it, fresh] = ctx.buckets.try_emplace(key_id, Context::Bucket{ctx.opts.rate_burst, now});
  Context::Bucket& b = it->second;
  if (!fresh) {
    const double dt = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(ctx.opts.rate_burst, b.tokens + dt * ctx.opts.rate_limit);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace

void SendJson(httplib::Response& res, const nlohmann::json& j, int status) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void SendJson(httplib::Response& res, const nlohmann::ordered_json& j, int status) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  SendJson(res, nlohmann::json{{"error", {{"code", code}, {"message", message}}}}, status);
}

void CloseConnection(httplib::Response& res) {
  res.set_header("Connection", "close");
  ConnectionServer::CloseAfterResponse();
}

HttpError HttpErrorOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk: return {200, ""};
    case Status::Code::kInvalidArgument: return {400, "invalid_argument"};
    case Status::Code::kNotFound: return {404, "not_found"};
    case Status::Code::kAborted:
      // A spent privacy budget is a refusal that no retry changes, not an outage.
      if (privacy::IsBudgetExceeded(s)) return {403, "budget_exceeded"};
      return {503, "unavailable"};
    default: return {500, "internal"};
  }
}

void SendStatus(httplib::Response& res, const Status& s) {
  if (s.ok()) return SendJson(res, nlohmann::json::object());
  const HttpError e = HttpErrorOf(s);
  if (e.status == 503) res.set_header("Retry-After", "5");
  SendError(res, e.status, e.code, s.message());
}

Result<size_t> SizeParam(const httplib::Request& req, const std::string& name, size_t fallback, size_t max) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string v = req.get_param_value(name.c_str());
  size_t pos = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(v, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (v.empty() || pos != v.size() || v[0] == '-' || n > max)
    return Status::InvalidArgument(fmt::format("query parameter '{}': an integer from 0 to {} (got '{}')", name, max, v));
  return static_cast<size_t>(n);
}

Result<bool> BoolParam(const httplib::Request& req, const std::string& name, bool fallback) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string v = ToLowerAscii(req.get_param_value(name.c_str()));
  if (v == "1" || v == "true" || v == "yes") return true;  // not an empty value (explain=): 400
  if (v == "0" || v == "false" || v == "no") return false;
  return Status::InvalidArgument(fmt::format("query parameter '{}': 1, true or yes; 0, false or no (got '{}')", name,
                                             req.get_param_value(name.c_str())));
}

namespace {

// The path as the client sent it (percent-encoded), without the query.
std::string RawPath(const httplib::Request& req) { return req.target.substr(0, req.target.find('?')); }

bool Matches(const Context::RouteEntry& r, const httplib::Request& req) {
  return std::regex_match(req.path, r.path) && (!r.raw || std::regex_match(RawPath(req), *r.raw));
}

}  // namespace

std::vector<std::string> AllowedMethods(const Context& ctx, const httplib::Request& req) {
  std::vector<std::string> m;
  for (const auto& r : ctx.routes)
    if (Matches(r, req) && std::find(m.begin(), m.end(), r.method) == m.end()) m.push_back(r.method);
  std::sort(m.begin(), m.end());
  return m;
}

void AddRoute(httplib::Server& svr, Context& ctx, const std::string& method, const std::string& pattern,
              const std::string& name, std::optional<Scope> scope, Handler h, const char* raw_pattern) {
  ctx.metrics.AddRoute(name);
  ctx.routes.push_back({std::regex(pattern), method, raw_pattern ? std::optional(std::regex(raw_pattern)) : std::nullopt});
  const size_t index = ctx.routes.size() - 1;
  httplib::Server::Handler wrapped = [&ctx, name, scope, index, h = std::move(h)](const httplib::Request& req,
                                                                                  httplib::Response& res) {
    // httplib matched the decoded path; a raw pattern is checked here.
    if (ctx.routes[index].raw && !Matches(ctx.routes[index], req)) {  // DELETE /v1/users/1/profile
      res.status = 404;  // with no body: the server's error handler answers (405 with Allow, or 404)
      return;
    }
    const auto t0 = SteadyClock::now();
    try {
      Caller caller;
      bool allowed = true;
      if (scope) {
        auto c = Authenticate(ctx, req, res, *scope);
        if (!c) {
          allowed = false;
        } else if (!TakeToken(ctx, c->key.id)) {
          allowed = false;
          res.set_header("Retry-After", "1");
          SendError(res, 429, "rate_limited", fmt::format("more than {} requests per second for this key", ctx.opts.rate_limit));
        } else {
          caller = std::move(*c);
        }
      }
      if (allowed) h(ctx, req, res, caller);
    } catch (const std::exception& e) {
      // The boundary: a failure in any layer becomes one JSON error; the server keeps serving.
      LOG_ERR("serve: {} {}: {}", req.method, req.path, e.what());
      SendError(res, 500, "internal", e.what());
    }
    if (res.status < 100) res.status = 200;  // a handler that only set content
    ctx.metrics.Observe(name, res.status, std::chrono::duration<double>(SteadyClock::now() - t0).count());
  };
  if (method == "GET") svr.Get(pattern, wrapped);
  else if (method == "POST") {
    // The body is read here rather than by the server, which reads a form body (curl -d says
    // application/x-www-form-urlencoded) only up to 8 KiB whatever --max-body says and applies
    // no limit to a chunked one. The key is checked first, so a caller without one cannot make
    // the server buffer anything; --max-body is applied while reading (413).
    svr.Post(pattern, [&ctx, name, scope, wrapped](const httplib::Request& req, httplib::Response& res,
                                                   const httplib::ContentReader& read) {
      const auto t0 = SteadyClock::now();
      const auto refused = [&] {  // answered before the handler: still counted
        CloseConnection(res);  // the body was not read (whole): what follows it is not a request
        ctx.metrics.Observe(name, res.status, std::chrono::duration<double>(SteadyClock::now() - t0).count());
      };
      if (scope && !Authenticate(ctx, req, res, *scope)) return refused();
      if (req.is_multipart_form_data()) {
        SendError(res, 415, "unsupported_media_type", "send the body as JSON, not as multipart form data");
        return refused();
      }
      httplib::Request r = req;
      r.body.clear();
      const size_t max = ctx.opts.max_body_bytes;
      bool over = false;
      size_t seen = 0;
      if (!read([&](const char* data, size_t n) {
            // Over the limit the rest is read and dropped (up to 8 times the limit), so that the
            // client gets its 413 instead of a reset connection with unread bytes in it.
            seen += n;
            over = over || seen > max;
            if (!over) r.body.append(data, n);
            return seen <= 8 * max;
          }) || over) {
        if (over) res.status = 413;
        else if (res.status < 400) res.status = 400;
        return refused();  // the server's error handler writes the JSON error
      }
      wrapped(r, res);
    });
  }
  else if (method == "DELETE") svr.Delete(pattern, wrapped);
}

namespace {
int64_t ProfilesVersion(Db& db) {
  return db.QueryInt("SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'profiles_version'), 0)");
}
}  // namespace

std::shared_ptr<const StaticFacts> LoadStaticFacts(Db& db) {
  Txn snapshot(db, /*immediate=*/false);  // the version, profiles and labels of one update
  auto facts = std::make_shared<StaticFacts>();
  facts->version = ProfilesVersion(db);
  Stmt st = db.Prepare("SELECT user_id, r_score, f_score, m_score, rfm_segment, cluster, ext_id FROM profiles");
  while (st.Step()) {
    StaticProfileFacts f;
    f.ext_id = std::string(st.Text(6));
    f.r = static_cast<int>(st.Int(1)), f.f = static_cast<int>(st.Int(2)), f.m = static_cast<int>(st.Int(3));
    f.rfm_segment = std::string(st.Text(4));
    f.cluster = st.IsNull(5) ? -1 : static_cast<int>(st.Int(5));
    facts->by_user.emplace(static_cast<uint32_t>(st.Int(0)), std::move(f));
  }
  Stmt cl = db.Prepare("SELECT id, label FROM profile_clusters");
  while (cl.Step()) facts->cluster_labels.emplace(static_cast<int>(cl.Int(0)), std::string(cl.Text(1)));
  return facts;
}

std::shared_ptr<const StaticFacts> CurrentFacts(Context& ctx) {
  int64_t checked = ctx.facts_checked_ms.load();
  const int64_t now = NowMs();
  if (now - checked > 2000 && ctx.facts_checked_ms.compare_exchange_strong(checked, now)) {
    std::unique_lock lock(ctx.db_mu, std::try_to_lock);
    if (lock.owns_lock()) {
      try {
        if (ProfilesVersion(ctx.ws->db()) != ctx.facts.load()->version) {
          ctx.facts.store(LoadStaticFacts(ctx.ws->db()));
          LOG_INF("serve: RFM scores and clusters reloaded from the profile tables");
        }
      } catch (const std::exception& e) {
        LOG_WRN("serve: reloading RFM scores and clusters: {}", e.what());
      }
    }
  }
  return ctx.facts.load();
}

Profile FinalizeLive(Context& ctx, const StaticFacts& facts, const LiveProfiles::View& view,
                     const std::string& stored_id) {
  const ProfileOptions& o = ctx.writer->profile_options();
  Profile p = Finalize(ctx.items(), o, *view.state, view.as_of);
  p.user = view.user;
  p.ext_id = stored_id;
  // An id erased since start-up that posts again is a new user: the graph loaded at start
  // still holds the erased one's node (demographics, reviews), and the start-up facts their RFM
  // scores and cluster, under a users.id a new user may be given again.
  const bool erased = ctx.live.Erased(stored_id);
  if (!erased) FillFromGraph(ctx.graph(), o, p);
  auto f = facts.by_user.find(view.user);
  if (f != facts.by_user.end() && !erased && f->second.ext_id == stored_id) {
    p.r_score = f->second.r, p.f_score = f->second.f, p.m_score = f->second.m;
    p.rfm_segment = f->second.rfm_segment;
    p.cluster = f->second.cluster;
  }
  return p;
}

std::string StoredUser(Context& ctx, const std::string& client_id) {
  std::string stored = ctx.writer->StoredUserId(client_id);
  // In a pseudonymised workspace a client may hold the stored form itself: /v1/audiences
  // answers pseudonyms (as DELETE and the CLI do: privacy::ResolveUserId). A stored id is that
  // user, first: where an older kgprofile made a second user of a pseudonym posted as an id,
  // the person is the one answered and erased.
  if (stored != client_id && ctx.live.Find(client_id)) return client_id;
  return stored;
}

Status NoProfile(const std::string& raw_user_id) {
  return Status::NotFound(fmt::format("no profile for user '{}' (unknown id, or no events)", raw_user_id));
}

Result<Profile> LiveProfile(Context& ctx, const std::string& raw_user_id) {
  const std::string stored = StoredUser(ctx, raw_user_id);
  auto view = ctx.live.Find(stored);
  if (!view) return NoProfile(raw_user_id);
  return FinalizeLive(ctx, *CurrentFacts(ctx), *view, stored);
}

std::function<bool(NodeId)> ErasedUsers(const Context& c) {
  if (!c.live.AnyErased()) return {};  // no lookup per node a path search visits
  return [&c](NodeId n) { return c.graph().type(n) == NodeType::kUser && c.live.Erased(c.graph().key(n)); };
}

Result<RecTarget> RecUser(Context& ctx, const std::string& raw_user_id) {
  RecTarget t;
  t.stored = StoredUser(ctx, raw_user_id);
  // The live profiles decide who exists: erased users stay in the recommender's id map (with
  // their history) until restart.
  auto found = ctx.live.FindWithPosted(t.stored);
  if (!found) return NoProfile(raw_user_id);
  auto u = ctx.rec->catalog->FindUser(t.stored);
  t.user = u && *u == found->view.user && !found->erased ? *u : rec::kNewUser;
  t.posted = std::move(found->posted);
  return t;
}

}  // namespace kgp::service
