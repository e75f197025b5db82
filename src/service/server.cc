#include "service/server.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/log.h"
#include "privacy/pseudonym.h"
#include "common/strings.h"
#include "service/connections.h"
#include "service/context.h"
#include "service/event_merger.h"

namespace kgp::service {

struct Server::Impl {
  Context ctx;
  std::unique_ptr<httplib::Server> http;
  ConnectionServer* conn = nullptr;  // http when it serves plain HTTP (our connection loop)
  std::once_flag stopped;
  std::mutex run_mu;
  std::condition_variable run_cv;
  bool running = false, run_done = false, stop_requested = false;  // GUARDED_BY(run_mu)
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

bool Server::tls() const { return !impl_->ctx.opts.cert_file.empty(); }

Result<std::unique_ptr<Server>> Server::Create(const std::string& workspace_dir, const ServerOptions& opts) {
  if (opts.cert_file.empty() != opts.key_file.empty())
    return Status::InvalidArgument("TLS needs both --cert and --key");
  auto impl = std::make_unique<Impl>();
  Context& ctx = impl->ctx;
  // TLS first: a bad certificate should fail before anything is loaded or written.
  if (!opts.cert_file.empty()) {
    impl->http = std::make_unique<httplib::SSLServer>(opts.cert_file.c_str(), opts.key_file.c_str());
  } else {
    auto conn = std::make_unique<ConnectionServer>();
    conn->set_request_timeout(std::max(1, opts.request_timeout_s));
    impl->conn = conn.get();
    impl->http = std::move(conn);
  }
  httplib::Server& svr = *impl->http;
  if (!svr.is_valid()) return Status::InvalidArgument("TLS: cannot load the certificate or key (PEM files expected)");
  // SO_REUSEADDR only. cpp-httplib's default sets SO_REUSEPORT, with which a second server bound
  // the port of a running one and the kernel split the connections between the two (events and
  // erasures landing in the other workspace); now the second one's bind fails.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
  ctx.opts = opts;
  ctx.ws_dir = workspace_dir;
  ctx.profile_cache = std::make_unique<ResponseCache>(opts.profile_cache_bytes);
  ctx.erasure_jobs.set_max(opts.erasure_jobs);
  auto ws = Workspace::Open(workspace_dir);
  if (!ws.ok()) return ws.status();
  ctx.ws = std::move(ws).value();
  KGP_RETURN_IF_ERROR(EnsureKeyTable(ctx.ws->db()));
  // Events a previous run acknowledged but did not move (it did not stop cleanly) go into the
  // events table before the recommender reads them: its history then holds every event stored
  // before this run, and LiveProfiles::FindWithPosted the events of this run.
  auto moved = RecoverStagedEvents(*ctx.ws);
  if (!moved.ok()) return moved.status();
  // The language-model session loads the recommender too; without it (or when it cannot be
  // opened) the recommender is loaded alone and /summary answers 503.
  if (opts.load_llm) {
    auto s = llm::Session::Open(*ctx.ws);
    if (s.ok()) {
      ctx.session = std::move(s).value();
      const llm::BackendConfig cfg = llm::BackendConfigFromWorkspace(*ctx.ws);
      ctx.summary_opts = llm::WriterOptionsFrom(cfg);
      auto b = llm::MakeBackend(cfg);
      if (b.ok()) ctx.backend = std::move(b).value();
      else ctx.llm_error = b.status().message();
    } else {
      ctx.llm_error = s.status().message();
    }
  } else {
    ctx.llm_error = "language-model session disabled";
  }
  if (ctx.session) {
    auto rc = ctx.session->Recommender();
    if (!rc.ok()) return rc.status();
    ctx.rec = *rc;
  } else {
    auto rc = rec::LoadRecommender(*ctx.ws);
    if (!rc.ok()) return rc.status();
    ctx.own_rec = std::move(rc).value();
    ctx.rec = ctx.own_rec.get();
  }
  ctx.facts.store(LoadStaticFacts(ctx.ws->db()));
  EventWriterOptions wo;
  wo.durable = opts.durable;
  auto w = EventWriter::Start(workspace_dir, ctx.items(), &ctx.live, &ctx.metrics, wo);
  if (!w.ok()) return w.status();
  ctx.writer = std::move(w).value();
  ReloadKeys(ctx);

  const int threads = std::max(1, opts.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(opts.max_body_bytes);
  svr.set_keep_alive_max_count(100000);
  svr.set_keep_alive_timeout(std::max(1, opts.keep_alive_s));
  svr.set_tcp_nodelay(true);
  // On every answer: profiles and keys are personal data, not for shared caches or the browser's
  // disk; no content sniffing; no page of this server inside another site's frame.
  svr.set_default_headers({{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "DENY"}});
  svr.set_error_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a route's own error response, counted by the route
    struct CountOnExit {  // under "other" in /metrics, with the status finally sent
      Metrics& m;
      const httplib::Response& r;
      ~CountOnExit() { m.CountUnrouted(r.status); }
    } count{ctx.metrics, res};
    if (res.status == 404 || res.status == 400) {  // no handler for this method: a known path?
      std::vector<std::string> methods = AllowedMethods(ctx, req);
      if (!methods.empty() && std::find(methods.begin(), methods.end(), req.method) == methods.end()) {
        if (std::find(methods.begin(), methods.end(), "GET") != methods.end()) methods.push_back("HEAD");  // served by GET
        methods.push_back("OPTIONS");
        const std::string allow = fmt::format("{}", fmt::join(methods, ", "));
        res.set_header("Allow", allow);
        if (req.method == "OPTIONS") {
          res.status = 204;
          return;
        }
        return SendError(res, 405, "method_not_allowed", fmt::format("{} is not served here: use {}", req.method, allow));
      }
    }
    // A malformed request (or a body not read in full) leaves the connection's framing
    // unknown: the connection is closed after the answer.
    if (res.status == 400 || res.status == 413 || res.status == 414) CloseConnection(res);
    switch (res.status) {
      case 404: SendError(res, 404, "not_found", "no such endpoint (see docs/api.md)"); break;
      case 413: SendError(res, 413, "payload_too_large", "request body over the size limit"); break;
      case 400: SendError(res, 400, "bad_request", "malformed HTTP request"); break;
      case 414: SendError(res, 414, "uri_too_long", "request line over 8 KiB"); break;
      default: SendError(res, res.status, "http_error", "the request could not be served"); break;
    }
  });
  // Framing the server cannot be sure of is refused and the connection closed, before any body
  // is read (RFC 9112 §6): a proxy in front may have framed the request otherwise, and bytes
  // httplib leaves unread would be taken for the next request (request smuggling).
  //  * two different Content-Length headers (httplib took the first), or one not all digits
  //    (httplib read "5abc" as 5);
  //  * Transfer-Encoding other than exactly "chunked", or with a Content-Length;
  //  * a body on GET, HEAD or OPTIONS, or a chunked DELETE: httplib reads no body for them.
  svr.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    const auto refuse = [&](const std::string& why) {
      CloseConnection(res);
      SendError(res, 400, "bad_request", why);
      ctx.metrics.CountUnrouted(400);
      return httplib::Server::HandlerResponse::Handled;
    };
    const size_t n = req.get_header_value_count("Content-Length");
    for (size_t i = 0; i < n; ++i) {
      const std::string v = req.get_header_value("Content-Length", i);
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        return refuse("Content-Length is not a number");
      if (v != req.get_header_value("Content-Length", 0)) return refuse("different Content-Length headers");
    }
    const size_t te = req.get_header_value_count("Transfer-Encoding");
    if (te > 0) {
      if (te > 1 || ToLowerAscii(req.get_header_value("Transfer-Encoding")) != "chunked")
        return refuse("only Transfer-Encoding: chunked is accepted");
      if (n > 0) return refuse("Transfer-Encoding and Content-Length together");
    }
    const bool no_body_read = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS";
    const bool has_body = te > 0 || (n > 0 && req.get_header_value("Content-Length").find_first_not_of('0') != std::string::npos);
    if ((no_body_read && has_body) || (req.method == "DELETE" && te > 0))
      return refuse(fmt::format("{} takes no request body here", req.method));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  AddSystemRoutes(svr, ctx);
  AddEventRoutes(svr, ctx);
  AddUserRoutes(svr, ctx);
  AddGraphRoutes(svr, ctx);
  AddAudienceRoutes(svr, ctx);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::Bind() {
  Context& ctx = impl_->ctx;
  int port = ctx.opts.port;
  if (port == 0) {
    port = impl_->http->bind_to_any_port(ctx.opts.host);
    if (port < 0) return Status::IoError(fmt::format("cannot bind {}", ctx.opts.host));
  } else if (!impl_->http->bind_to_port(ctx.opts.host, port)) {
    return Status::IoError(fmt::format("cannot bind {}:{} (in use, or not allowed)", ctx.opts.host, port));
  }
  return port;
}

void Server::Run() {
  {
    std::lock_guard lock(impl_->run_mu);
    if (impl_->stop_requested) {  // stopped before it ran: nothing to listen for
      impl_->run_done = true;
      impl_->run_cv.notify_all();
      return;
    }
    impl_->running = true;
  }
  impl_->http->listen_after_bind();  // returns once stopped and every worker thread has finished
  {
    std::lock_guard lock(impl_->run_mu);
    impl_->run_done = true;
  }
  impl_->run_cv.notify_all();
}

void Server::Stop() {
  std::call_once(impl_->stopped, [this] {
    // No new requests; requests in flight finish (their batches are in the writer's queue and
    // answered), then the writer drains and saves. httplib's stop() does nothing before its
    // listener runs, so a Run() that has begun but not yet listens is waited for.
    std::unique_lock lock(impl_->run_mu);
    impl_->stop_requested = true;
    while (impl_->running && !impl_->run_done && !impl_->http->is_running()) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
    }
    if (impl_->running && !impl_->run_done) {
      lock.unlock();
      impl_->http->stop();
      // Open connections are woken: an idle or trickling client does not hold the stop; a
      // request in flight still gets its answer (reading side shut only), for 2 s.
      if (impl_->conn) impl_->conn->CloseConnections(/*hard=*/false);
      lock.lock();
      const auto done = [&] { return impl_->run_done; };
      if (!impl_->run_cv.wait_for(lock, std::chrono::seconds(2), done) && impl_->conn) {
        lock.unlock();
        impl_->conn->CloseConnections(/*hard=*/true);  // a client that does not read its answer
        lock.lock();
      }
      if (!impl_->run_cv.wait_for(lock, std::chrono::seconds(1), done)) {
        // A handler still runs (a language-model call): save the profile state now, so that a
        // supervisor's kill after its stop timeout loses nothing; later writes answer 503.
        LOG_WRN("serve: requests still running 3 s after the stop; saving the profile state first");
        lock.unlock();
        impl_->ctx.writer->Stop();
        lock.lock();
      }
      impl_->run_cv.wait(lock, done);
    }
    lock.unlock();
    impl_->ctx.writer->Stop();
  });
}

}  // namespace kgp::service
