// Schema versions and migrations. PRAGMA user_version holds the number of migrations applied;
// opening a workspace applies the missing ones, each in its own transaction. A database from a
// newer kgprofile is refused rather than guessed at. The tables are described in docs/schema.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

int LatestSchemaVersion();
// The SQL of migration `version` (1 to LatestSchemaVersion()), as shipped: the schema tests
// check that none changes after it was committed.
std::string_view MigrationSql(int version);

// What Migrate did: the schema version found and the one left, and what the migrations applied
// ask of the user (each note once, in order), e.g. to ingest again what an older kgprofile
// derived differently. A new database (version 0) is no upgrade.
struct MigrationReport {
  int64_t from = 0, to = 0;
  std::vector<std::string> notes;
  bool Upgraded() const { return from > 0 && to > from; }
};

// Brings db to LatestSchemaVersion().
Result<MigrationReport> Migrate(Db& db);

}  // namespace kgp
