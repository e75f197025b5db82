// The profile table as a k-anonymous CSV (`kgprofile export WORKSPACE --k-anonymous K`): no
// direct identifiers (the user id is dropped), and every released column a quasi-identifier
// generalised or suppressed by KAnonymize (ProfileExportQis: event and purchase counts in bands),
// so that each combination of all released values occurs in at least k rows. The header names
// the columns; the report says which k was achieved, which levels were used and how many rows
// were suppressed.
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

// The header line (no newline) every such export starts with: erasure recognises the files by it.
std::string ProfileExportHeader();

}  // namespace kgp::privacy
