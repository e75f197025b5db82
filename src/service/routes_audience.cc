// POST /v1/audiences (rule → count and a page of ids), GET /v1/segments. Both read the profile
// tables of the latest `profile build` (population-relative figures), on the read connection.
#include <fmt/format.h>

#include "privacy/budget.h"
#include "privacy/dp_query.h"
#include "profile/rule.h"
#include "service/context.h"

namespace kgp::service {
namespace {

constexpr size_t kMaxPage = 10000;

void Audience(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(res, 400, "bad_json", "the body must be a JSON object");
  if (!body.contains("rule") || !body["rule"].is_string())
    return SendError(res, 400, "invalid_argument",
                     "'rule' is required, e.g. \"interest('electronics.smartphone') > 0.3 and price_level = 'high'\"");
  auto size = [&](const char* name, size_t fallback, size_t max) -> Result<size_t> {
    if (!body.contains(name)) return fallback;
    const auto& v = body[name];
    if (!v.is_number_unsigned() || v.get<uint64_t>() > max)
      return Status::InvalidArgument(fmt::format("'{}': an integer from 0 to {}", name, max));
    return static_cast<size_t>(v.get<uint64_t>());
  };
  auto limit = size("limit", 100, kMaxPage);
  auto offset = size("offset", 0, 100000000);
  if (!limit.ok() || !offset.ok()) return SendStatus(res, limit.ok() ? offset.status() : limit.status());
  const std::string rule = body["rule"].get<std::string>();
  std::lock_guard lock(c.db_mu);
  // A workspace that requires differential privacy releases a noisy count and no ids (the ids
  // would give the exact count away), as `kgprofile audience` does.
  if (privacy::DpRequired(*c.ws)) {
    privacy::DpOptions o;
    o.epsilon = -1;
    auto r = privacy::DpCountAudience(*c.ws, rule, o);
    if (!r.ok()) return SendStatus(res, r.status());
    nlohmann::json j = r->release.Json();
    j["count"] = r->count;
    j["user_ids"] = nlohmann::json::array();
    return SendJson(res, j);
  }
  auto a = SelectAudience(c.ws->db(), rule, *offset + *limit);
  if (!a.ok()) return SendStatus(res, a.status());
  std::vector<std::string> page;
  for (size_t i = *offset; i < a->user_ids.size(); ++i) page.push_back(a->user_ids[i]);
  nlohmann::json j = privacy::ReleaseInfo{}.Json();  // exact: {"dp": false, "epsilon": null}, as every release
  j["count"] = a->count;
  j["offset"] = *offset;
  j["limit"] = *limit;
  j["user_ids"] = page;
  if (!a->warnings.empty()) j["warnings"] = a->warnings;
  const size_t next = *offset + page.size();
  j["next_offset"] = next < a->count && !page.empty() ? nlohmann::json(next) : nlohmann::json(nullptr);
  SendJson(res, j);
}

void Segments(Context& c, const httplib::Request&, httplib::Response& res, const Caller&) {
  std::lock_guard lock(c.db_mu);
  privacy::DpOptions o;  // exact unless the workspace requires DP (then its epsilon is charged)
  auto r = privacy::DpSegmentSizes(*c.ws, o);
  if (!r.ok()) return SendStatus(res, r.status());
  nlohmann::json segs = nlohmann::json::array();
  for (const auto& s : r->segments) segs.push_back({{"id", s.id}, {"label", s.label}, {"size", s.size}});
  nlohmann::json j = r->release.Json();
  j["segments"] = segs;
  SendJson(res, j);
}

}  // namespace

void AddAudienceRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "POST", "/v1/audiences", "post_audiences", Scope::kRead, Audience);
  AddRoute(svr, ctx, "GET", "/v1/segments", "get_segments", Scope::kRead, Segments);
}

}  // namespace kgp::service
