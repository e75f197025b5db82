// API keys of the HTTP service (docs/api.md "Authentication"). A key is shown once, when it is
// created; the workspace keeps only its SHA-256 digest, its id, a name and a scope, in the
// table service_api_keys (created on first use). Scopes are ordered: read < write < admin, and
// a key may call every endpoint its scope or a lower one needs.
// Functions take the Db they use; not thread-safe beyond what Db is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "store/db.h"

namespace kgp::service {

enum class Scope : uint8_t { kRead = 0, kWrite = 1, kAdmin = 2 };
const char* ScopeName(Scope s);                        // "read", "write", "admin"
std::optional<Scope> ParseScope(std::string_view s);

struct ApiKeyInfo {
  std::string id;  // public part of the key, 12 hex digits
  std::string name;
  Scope scope = Scope::kRead;
  int64_t created = 0;  // unix seconds
  bool revoked = false;
};

struct NewApiKey {
  ApiKeyInfo info;
  std::string key;  // "kgp_<id>_<secret>": give it to the client; it is not stored
};

Status EnsureKeyTable(Db& db);
Result<NewApiKey> CreateApiKey(Db& db, const std::string& name, Scope scope);
Result<std::vector<ApiKeyInfo>> ListApiKeys(Db& db);
// NotFound for an unknown id; revoking twice is fine.
Status RevokeApiKey(Db& db, const std::string& id);

// Hex SHA-256 of a presented key: what the table stores and lookups compare.
std::string HashApiKey(std::string_view key);
// Keys not revoked, by digest.
Result<std::unordered_map<std::string, ApiKeyInfo>> LoadActiveKeys(Db& db);

}  // namespace kgp::service
