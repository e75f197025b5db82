// GET /v1/items/{id}/related, /v1/graph/nodes/{id}/neighbors, /v1/graph/paths.
#include <fmt/format.h>

#include "common/strings.h"
#include "graph/json.h"
#include "graph/paths.h"
#include "recommend/json.h"
#include "service/context.h"

namespace kgp::service {
namespace {

// A node named by TYPE:KEY (user keys as the client knows them: mapped to the stored form).
Result<NodeId> FindNode(Context& c, const std::string& spec) {
  std::string s = spec;
  if (StartsWith(s, "user:")) {
    const std::string stored = StoredUser(c, s.substr(5));
    if (!c.live.Find(stored) || c.live.Erased(stored)) return Status::NotFound(fmt::format("no node '{}'", spec));
    s = "user:" + stored;
  }
  auto n = c.graph().FindSpec(s);
  if (!n)
    return Status::NotFound(fmt::format(
        "no node '{}' (use TYPE:KEY, e.g. user:123, product:456, category:electronics.smartphone, brand:apple)", spec));
  // Whatever the spelling ("User:7", a bare "7"), an erased user's node is no node.
  if (c.graph().type(*n) == NodeType::kUser && c.live.Erased(c.graph().key(*n)))
    return Status::NotFound(fmt::format("no node '{}'", spec));
  return *n;
}

void Related(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto k = SizeParam(req, "k", 10, 100);
  if (!k.ok()) return SendStatus(res, k.status());
  auto item = c.rec->catalog->FindItem(std::string(req.matches[1]));
  if (!item)
    return SendError(res, 404, "not_found",
                     fmt::format("item '{}': not known to the recommender (not in the workspace, or first posted after the "
                                 "server started)",
                                 std::string(req.matches[1])));
  SendJson(res, rec::RelatedJson(*c.rec, *item, *k));
}

void Neighbors(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto limit = SizeParam(req, "limit", 20, 500);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto n = FindNode(c, req.matches[1]);
  if (!n.ok()) return SendStatus(res, n.status());
  NeighborQuery q;
  q.limit = *limit;
  q.hidden = ErasedUsers(c);
  if (req.has_param("direction")) {
    q.direction = req.get_param_value("direction");
    if (q.direction != "in" && q.direction != "out" && q.direction != "both")
      return SendError(res, 400, "invalid_argument", "query parameter 'direction': in, out or both");
  }
  if (req.has_param("type")) {
    const std::string list = req.get_param_value("type");  // Split() views into it
    std::vector<std::string> names;
    for (auto t : Split(list, ',')) names.emplace_back(Trim(t));
    auto types = ParseEdgeTypes(c.graph(), names);
    if (!types.ok()) return SendStatus(res, types.status());
    q.types = std::move(types).value();
  }
  size_t total = 0;
  auto adj = SelectNeighbors(c.graph(), *n, q, &total);
  SendJson(res, NeighborsJson(c.graph(), *n, adj, total));
}

void Paths(Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
  if (!req.has_param("from") || !req.has_param("to"))
    return SendError(res, 400, "invalid_argument", "query parameters 'from' and 'to' are required (TYPE:KEY)");
  auto k = SizeParam(req, "k", 3, 10);
  auto len = SizeParam(req, "max_length", 4, 6);
  if (!k.ok() || !len.ok()) return SendStatus(res, k.ok() ? len.status() : k.status());
  auto from = FindNode(c, req.get_param_value("from"));
  if (!from.ok()) return SendStatus(res, from.status());
  auto to = FindNode(c, req.get_param_value("to"));
  if (!to.ok()) return SendStatus(res, to.status());
  PathOptions o;
  o.k = *k;
  o.max_length = static_cast<int>(*len);
  o.max_expansions = 200000;  // bounded work per request
  o.hidden = ErasedUsers(c);
  SendJson(res, PathsJson(c.graph(), *from, *to, KShortestPaths(c.graph(), *from, *to, o)));
}

}  // namespace

void AddGraphRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "GET", R"(/v1/items/(.+)/related)", "get_related", Scope::kRead, Related);
  AddRoute(svr, ctx, "GET", R"(/v1/graph/nodes/(.+)/neighbors)", "get_neighbors", Scope::kRead, Neighbors);
  AddRoute(svr, ctx, "GET", "/v1/graph/paths", "get_paths", Scope::kRead, Paths);
}

}  // namespace kgp::service
