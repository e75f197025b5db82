// The profile table as a k-anonymous CSV (`kgprofile export WORKSPACE --k-anonymous K`): no
// direct identifiers (the user id is dropped), quasi-identifiers generalised or suppressed by
// KAnonymize, and non-identifying profile attributes kept. The header names the columns; the
// report says which k was achieved, which levels were used and how many rows were suppressed.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "privacy/kanon.h"
#include "store/workspace.h"

namespace kgp::privacy {

struct ProfileExportReport {
  std::string path;
  KAnonResult kanon;
  std::vector<std::string> columns;
  nlohmann::json Json() const;
};

// REQUIRES: profiles built (NotFound otherwise).
Result<ProfileExportReport> ExportProfilesKAnonymous(Workspace& ws, const std::string& path, const KAnonOptions& opts);

}  // namespace kgp::privacy
