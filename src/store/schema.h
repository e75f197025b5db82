// Schema versions and migrations. PRAGMA user_version holds the number of migrations applied;
// opening a workspace applies the missing ones, each in its own transaction. A database from a
// newer kgprofile is refused rather than guessed at. The tables are described in docs/schema.md.
#pragma once

#include "common/status.h"
#include "store/db.h"

namespace kgp {

int LatestSchemaVersion();
Status Migrate(Db& db);  // brings db to LatestSchemaVersion()

}  // namespace kgp
