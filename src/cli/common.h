// Helpers shared by the command implementations.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/workspace.h"

namespace kgp::cli {

// Opens a workspace or throws Error with a message telling how to create one.
inline std::unique_ptr<Workspace> OpenWorkspace(const std::string& dir) {
  auto ws = Workspace::Open(dir);
  if (!ws.ok()) throw Error(ws.status());
  return std::move(ws).value();
}

}  // namespace kgp::cli
