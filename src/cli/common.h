// Helpers shared by the command implementations.
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/status.h"
#include "graph/graph.h"
#include "privacy/pseudonym.h"
#include "store/workspace.h"

namespace kgp::cli {

// x with 3 decimals, or `none` for NaN (a mean over no users: "nan" means nothing to a reader).
inline std::string Fixed3(double x, const char* none = "-") {
  return std::isnan(x) ? std::string(none) : fmt::format("{:.3f}", x);
}

// Opens a workspace or throws Error with a message telling how to create one.
inline std::unique_ptr<Workspace> OpenWorkspace(const std::string& dir) {
  auto ws = Workspace::Open(dir);
  if (!ws.ok()) throw Error(ws.status());
  return std::move(ws).value();
}

// Loads the workspace's graph or throws Error telling how to build it.
inline Graph LoadGraph(Workspace& ws) {
  if (ws.db().QueryInt("SELECT count(*) FROM graph_nodes") == 0)
    throw Error(Status::NotFound(fmt::format("{}: no graph yet (run: kgprofile graph build {})", ws.dir(), ws.dir())));
  auto g = Graph::Load(ws.db());
  if (!g.ok()) throw Error(g.status());
  return std::move(g).value();
}

// The stored id of a user given on the command line: the raw id (pseudonymised when the
// workspace is) or the stored pseudonym itself (privacy::ResolveUserId).
inline std::string StoredUser(Workspace& ws, const std::string& id) {
  auto r = privacy::ResolveUserId(ws, id);
  if (!r.ok()) throw Error(r.status());
  return std::move(r).value();
}

}  // namespace kgp::cli
