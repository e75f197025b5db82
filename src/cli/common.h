// Helpers shared by the command implementations.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/status.h"
#include "graph/graph.h"
#include "privacy/pseudonym.h"
#include "store/workspace.h"

namespace kgp::cli {

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

// Throws InvalidArgument when an export's output `out` would overwrite the workspace's own state:
// the database (and its -wal, -shm, -journal), the settings, the key file, the server lock, the
// inbox, profiles.state, ner-titles.bin, models/ or rejects/, or, for a folder output (Neo4j), the workspace folder
// itself. Paths are compared after resolving links, so ws/../ws/kgprofile.db is caught too.
inline void RefuseWorkspaceState(const std::string& ws_dir, const std::string& out, bool folder) {
  namespace fs = std::filesystem;
  if (out.empty()) return;
  std::error_code ec;
  auto resolve = [&](const fs::path& p) {
    fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? fs::absolute(p, ec).lexically_normal() : r;
  };
  const fs::path ws = resolve(ws_dir), target = resolve(out);
  auto refuse = [&](const std::string& what) {
    throw Error(Status::InvalidArgument(fmt::format(
        "export: {} is {}; write the export elsewhere (default: {})", out, what,
        (ws / "export").string())));
  };
  if (folder && target == ws) refuse(fmt::format("the workspace folder {} itself", ws_dir));
  for (const char* name : {kDbFile, "kgprofile.db-wal", "kgprofile.db-shm", "kgprofile.db-journal", kConfigFile,
                           kServeLockFile, "pseudonym.key", "service_inbox.db", "service_inbox.db-wal",
                           "service_inbox.db-shm", "profiles.state", "ner-titles.bin", "models", "rejects"}) {
    const fs::path own = ws / name;
    const auto rel = target.lexically_relative(own);
    const bool inside = !rel.empty() && *rel.begin() != "..";  // own itself ("."), or below it
    if (inside || (fs::exists(target, ec) && fs::equivalent(target, own, ec)))
      refuse(fmt::format("part of workspace {} ({})", ws_dir, name));
  }
}

}  // namespace kgp::cli
