// GET / (the web page), /healthz (open), /metrics (Prometheus text; scope read).
#include "service/context.h"
#include "service/web_page.h"

namespace kgp::service {

void AddSystemRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "GET", "/healthz", "healthz", std::nullopt,
           [](Context& c, const httplib::Request&, httplib::Response& res, const Caller&) {
             SendJson(res, nlohmann::json{{"status", "ok"}, {"profiles", c.live.size()}});
           });
  AddRoute(svr, ctx, "GET", "/metrics", "metrics", Scope::kRead,
           [](Context& c, const httplib::Request&, httplib::Response& res, const Caller&) {
             res.set_content(c.metrics.Render(), "text/plain; version=0.0.4");
           });
  if (ctx.opts.serve_page) {
    AddRoute(svr, ctx, "GET", "/", "page", std::nullopt,
             [](Context&, const httplib::Request&, httplib::Response& res, const Caller&) {
               res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
               res.set_content(kWebPage, "text/html; charset=utf-8");
             });
  }
}

}  // namespace kgp::service
