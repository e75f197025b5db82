// Schema versions and migrations. PRAGMA user_version holds the number of migrations applied;
// opening a workspace applies the missing ones, each in its own transaction. A database from a
// newer kgprofile is refused rather than guessed at. The tables are described in docs/schema.md.
#pragma once

#include <string_view>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

int LatestSchemaVersion();
// The SQL of migration `version` (1 to LatestSchemaVersion()), as shipped: the schema tests
// check that none changes after it was committed.
std::string_view MigrationSql(int version);
Status Migrate(Db& db);  // brings db to LatestSchemaVersion()

}  // namespace kgp
