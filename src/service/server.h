// The HTTP profile service: `kgprofile serve WORKSPACE` (docs/api.md, docs/openapi.yaml).
// Events in (POST /v1/events), profiles, recommendations, text, audiences and graph queries
// out, under /v1; /healthz, /metrics and a web page at /. HTTP worker threads (cpp-httplib)
// parse, authenticate and read; every write goes through the one EventWriter thread.
// Usage: Create, Bind, then Run (blocks) on one thread and Stop from another (or a signal).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"

namespace kgp::service {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 8080;                 // 0: any free port (tests)
  std::string cert_file, key_file;  // both set: HTTPS
  // HTTP worker threads: one per open connection (a blocked one costs no CPU), so many.
  int threads = 64;
  int keep_alive_s = 5;            // an idle connection is closed after this
  int request_timeout_s = 30;      // a request (headers and body) must arrive within this of its first byte (HTTP; not HTTPS)
  size_t max_body_bytes = 1 << 20;  // larger requests: 413
  size_t max_batch_events = 10000;  // events in one POST /v1/events
  double rate_limit = 1000;        // requests per second per API key (token bucket); 0: off
  double rate_burst = 2000;        // bucket size
  bool durable = true;             // fsync each writer commit (PRAGMA synchronous=FULL)
  bool serve_page = true;          // the web page at / (static; it holds no data)
  bool load_llm = true;            // open the language-model session for /summary
  size_t profile_cache_bytes = 256u << 20;  // GET profile bodies kept while unchanged; 0: off
  size_t erasure_jobs = 100;       // asynchronous erasure runs held at once (service/erasure_jobs.h)
};

class Server {
 public:
  // Loads the workspace (graph, item index, recommender, profile state, API keys) and starts
  // the writer thread. NotFound with the command to run when the workspace lacks a stage.
  static Result<std::unique_ptr<Server>> Create(const std::string& workspace_dir, const ServerOptions& opts);
  ~Server();

  // Binds the listening socket; returns the port (the chosen one when opts.port was 0).
  Result<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Run();
  // Stops accepting requests, lets the writer finish every request it acknowledged or holds,
  // saves the profile state. Safe from another thread; idempotent.
  void Stop();
  bool tls() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kgp::service
