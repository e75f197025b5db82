// The demo's service step: `kgprofile serve` in process on a free port for a moment, a key (revoked after), a
// profile and recommendations read over HTTP, then a graceful stop; prints how to run it.
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/demo.h"
#include "service/keys.h"
#include "service/server.h"

namespace kgp::cli {

std::string DemoServe(Workspace& ws, const std::string& user_ext) {
  auto key = service::CreateApiKey(ws.db(), "demo", service::Scope::kRead);
  service::ServerOptions o;
  o.port = 0;
  o.durable = false;
  o.load_llm = false;
  auto server = key.ok() ? service::Server::Create(ws.dir(), o) : Result<std::unique_ptr<service::Server>>(key.status());
  Result<int> port = server.ok() ? (*server)->Bind() : Result<int>(server.status());
  if (!port.ok()) {
    std::cout << "  service: skipped (" << port.status().message() << ")\n";
    return "Skipped: " + port.status().message() + "\n";
  }
  std::thread run([&] { (*server)->Run(); });
  httplib::Client c("127.0.0.1", *port);
  c.set_default_headers({{"X-API-Key", key->key}});
  const auto t0 = std::chrono::steady_clock::now();
  auto profile = c.Get(fmt::format("/v1/users/{}/profile?tags=3", user_ext).c_str());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto recs = c.Get(fmt::format("/v1/users/{}/recommendations?k=3", user_ext).c_str());
  (*server)->Stop();
  run.join();
  // The key was the demo's own, shown to no one: revoked, so that no valid key is left behind
  // that the user never held.
  ThrowIfError(service::RevokeApiKey(ws.db(), key->info.id));
  std::string top;
  if (profile && profile->status == 200) {
    auto j = nlohmann::json::parse(profile->body, nullptr, false);
    if (!j.is_discarded() && !j["interests"]["categories"].empty()) top = j["interests"]["categories"][0]["tag"];
  }
  size_t n_recs = 0;
  if (recs && recs->status == 200) {
    auto j = nlohmann::json::parse(recs->body, nullptr, false);
    if (!j.is_discarded()) n_recs = j["recommendations"].size();
  }
  const std::string line = fmt::format("GET /v1/users/{}/profile: {} in {:.1f} ms (top category {}); recommendations: {} {}",
                                       user_ext, profile ? profile->status : 0, ms, top.empty() ? "-" : top,
                                       recs ? recs->status : 0, n_recs);
  std::cout << "  service: " << line << "\n";
  return fmt::format(
      "Served for a moment on a free port: {}. The read key it used (id {}, named demo) was revoked when it "
      "stopped.\n\nTo serve it yourself:\n\n```\nKEY=$(kgprofile -q serve-keys create {} --scope read)\n"
      "kgprofile serve {} --port 8080          # web page: http://127.0.0.1:8080/#key=$KEY&user={}\n"
      "curl -H \"X-API-Key: $KEY\" http://127.0.0.1:8080/v1/users/{}/profile\n```\n\nThe API: docs/api.md.\n",
      line, key->info.id, ws.dir(), ws.dir(), user_ext, user_ext);
}

}  // namespace kgp::cli
