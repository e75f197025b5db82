// Helpers shared by the command implementations.
#pragma once

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/out_file.h"
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

// A file a command will write (OutFile::OpenReplacing), checked before its work (a training run
// used to end in "cannot replace it: Is a directory" after its last epoch, eval rec's --json-out
// after the evaluation): the folder is created, a folder at the file's path is refused, and a
// file is created and removed beside it.
inline void RequireWritableFile(const std::string& option, const std::string& file) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::absolute(file).parent_path(), ec);
  if (ec) throw Error(Status::InvalidArgument(fmt::format("{} {}: cannot create its folder: {}", option, file, ec.message())));
  if (Status s = OutFile::CheckReplaceable(file); !s.ok()) {
    std::string m = fmt::format("{} {}", option, s.message());
    throw Error(s.code() == Status::Code::kIoError ? Status::IoError(std::move(m)) : Status::InvalidArgument(std::move(m)));
  }
}

}  // namespace kgp::cli
