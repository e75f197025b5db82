// kgprofile serve (the HTTP profile service, docs/api.md) and kgprofile serve-keys
// create | list | revoke (its API keys).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/time.h"
#include "service/keys.h"
#include "service/server.h"

namespace kgp::cli {
namespace {

int g_signal_pipe[2] = {-1, -1};
// Atomic, not volatile sig_atomic_t: the handler may run on any thread and the `signals` thread
// reads it (a lock-free atomic is safe in a handler).
std::atomic<int> g_signalled{0};
static_assert(std::atomic<int>::is_always_lock_free);
void OnStopSignal(int) {
  g_signalled.store(1, std::memory_order_relaxed);
  const char c = 1;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &c, 1);  // async-signal-safe
}

void AddServe(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand("serve", "HTTP API and web page over a workspace: events in, profiles and recommendations out");
  struct Args {
    std::string ws;
    service::ServerOptions o;
    bool no_fsync = false, no_page = false, no_llm = false;
    size_t cache_mb = 256;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("WORKSPACE", a->ws, "workspace folder (after graph build and profile build)")->required();
  cmd->add_option("--host", a->o.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", a->o.port, "port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--cert", a->o.cert_file, "TLS certificate (PEM); with --key: HTTPS");
  cmd->add_option("--key", a->o.key_file, "TLS private key (PEM)");
  cmd->add_option("--threads", a->o.threads, "HTTP worker threads")->capture_default_str();
  cmd->add_option("--max-body", a->o.max_body_bytes, "largest request body, bytes (larger: 413)")->capture_default_str()->check(Unsigned());
  cmd->add_option("--max-batch", a->o.max_batch_events, "most events in one POST /v1/events")->capture_default_str()->check(Unsigned());
  cmd->add_option("--rate-limit", a->o.rate_limit, "requests per second per API key (0: no limit)")->capture_default_str();
  cmd->add_option("--rate-burst", a->o.rate_burst, "requests a key may send at once above the rate")->capture_default_str();
  cmd->add_option("--erasure-jobs", a->o.erasure_jobs,
                  "asynchronous erasure runs held at once, waiting, running or with an answer not fetched yet (more: 503)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  cmd->add_option("--profile-cache-mb", a->cache_mb, "memory for GET profile answers kept while unchanged (0: off)")
      ->capture_default_str()->check(Unsigned());
  cmd->add_flag("--no-fsync", a->no_fsync, "do not fsync each write batch (faster; a power cut may lose acknowledged events)");
  cmd->add_flag("--no-page", a->no_page, "do not serve the web page at /");
  cmd->add_flag("--no-llm", a->no_llm, "do not open the language-model layer (/summary answers 503)");
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      (void)reg;
      a->o.durable = !a->no_fsync;
      a->o.profile_cache_bytes = a->cache_mb << 20;
      a->o.serve_page = !a->no_page;
      a->o.load_llm = !a->no_llm;
      auto server = Unwrap(service::Server::Create(a->ws, a->o));
      const int port = Unwrap(server->Bind());
      {
        auto w = OpenWorkspace(a->ws);
        auto keys = Unwrap(service::ListApiKeys(w->db()));
        size_t active = 0;
        for (const auto& k : keys) active += !k.revoked;
        if (active == 0)
          std::cerr << fmt::format("note: no API keys yet; every endpoint but /healthz will answer 401 "
                                   "(create one: kgprofile serve-keys create {} --scope read)\n", a->ws);
      }
      // SIGINT / SIGTERM stop the server gracefully. A handler (not sigwait with blocked signals):
      // threads started before main (OpenBLAS) would otherwise take the signal's default action.
      // The handler only writes to a pipe; a thread reads it and stops the server.
      if (pipe(g_signal_pipe) != 0) throw Error(Status::IoError("serve: cannot create the signal pipe"));
      struct sigaction sa {};
      sa.sa_handler = OnStopSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      sigaction(SIGINT, &sa, nullptr);
      sigaction(SIGTERM, &sa, nullptr);
      std::thread signals([&server] {
        char c = 0;
        while (read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
        }
        if (g_signalled.load(std::memory_order_relaxed)) std::cerr << "stopping: finishing requests in flight and writing the profile state\n";
        server->Stop();
      });
      // Printed once a SIGTERM stops the server gracefully: a supervisor that waits for this line
      // and then stops the server loses nothing.
      const std::string base = fmt::format("{}://{}:{}", server->tls() ? "https" : "http", a->o.host, port);
      std::cout << fmt::format("serving {} on {}/ (API under {}/v1, docs/api.md); Ctrl-C stops\n", a->ws, base, base)
                << std::flush;
      server->Run();
      const char wake = 0;  // Run() may also end without a signal: the thread must not wait for one
      [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &wake, 1);
      signals.join();
      std::cerr << "stopped\n";
      return 0;
    };
  });
}

void AddKeys(CLI::App& app, Registry& reg) {
  auto* keys = app.add_subcommand("serve-keys", "API keys of `kgprofile serve` (stored hashed in the workspace)");
  keys->require_subcommand(1);
  {
    auto* cmd = keys->add_subcommand("create", "create a key; it is printed once and not stored");
    struct Args {
      std::string ws, name = "default", scope = "read";
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--name", a->name, "what the key is for")->capture_default_str();
    cmd->add_option("--scope", a->scope, "read, write (and read) or admin (everything)")
        ->check(CLI::IsMember({"read", "write", "admin"}))->capture_default_str();
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        auto k = Unwrap(service::CreateApiKey(w->db(), a->name, *service::ParseScope(a->scope)));
        Emit(*reg.globals, {{"id", k.info.id}, {"name", k.info.name}, {"scope", a->scope}, {"key", k.key}}, [&] {
          std::cout << k.key << "\n";
          std::cerr << fmt::format("key {} ({}, scope {}): keep it now, it cannot be shown again\n", k.info.id, k.info.name,
                                   a->scope);
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = keys->add_subcommand("list", "keys with their id, name, scope and state (never the key)");
    auto ws = std::make_shared<std::string>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->callback([&reg, ws] {
      *reg.selected = [&reg, ws] {
        auto w = OpenWorkspace(*ws);
        auto list = Unwrap(service::ListApiKeys(w->db()));
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& k : list)
          arr.push_back({{"id", k.id}, {"name", k.name}, {"scope", service::ScopeName(k.scope)},
                         {"created", FormatTimestamp(k.created)}, {"revoked", k.revoked}});
        Emit(*reg.globals, {{"keys", arr}}, [&] {
          for (const auto& k : list)
            std::cout << fmt::format("{}  {:<6} {:<8} {}  {}\n", k.id, service::ScopeName(k.scope), k.revoked ? "revoked" : "active",
                                     FormatTimestamp(k.created), k.name);
          if (list.empty()) std::cout << "no keys\n";
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = keys->add_subcommand("revoke", "revoke a key by id (a running server stops accepting it within seconds)");
    struct Args {
      std::string ws, id;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("ID", a->id, "key id (first part of the key, as listed)")->required();
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        ThrowIfError(service::RevokeApiKey(w->db(), a->id));
        Emit(*reg.globals, {{"revoked", a->id}}, [&] { std::cout << "revoked " << a->id << "\n"; });
        return 0;
      };
    });
  }
}

}  // namespace

void AddServeCommands(CLI::App& app, Registry& reg) {
  AddServe(app, reg);
  AddKeys(app, reg);
}

}  // namespace kgp::cli
