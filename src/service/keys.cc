#include "service/keys.h"

#include <chrono>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/strings.h"
#include "common/time.h"
#include "privacy/pseudonym.h"

namespace kgp::service {

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kRead: return "read";
    case Scope::kWrite: return "write";
    case Scope::kAdmin: return "admin";
  }
  return "read";
}

std::optional<Scope> ParseScope(std::string_view s) {
  if (s == "read") return Scope::kRead;
  if (s == "write") return Scope::kWrite;
  if (s == "admin") return Scope::kAdmin;
  return std::nullopt;
}

Status EnsureKeyTable(Db& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS service_api_keys(id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, "
      "hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, revoked INTEGER)");
}

std::string HashApiKey(std::string_view key) { return HexEncode(Sha256(key)); }

Result<NewApiKey> CreateApiKey(Db& db, const std::string& name, Scope scope) {
  KGP_RETURN_IF_ERROR(EnsureKeyTable(db));
  NewApiKey k;
  // 128 bits of secret: guessing is hopeless, and the digest needs no salt or stretching.
  const std::string random = privacy::NewKeyHex();
  k.info.id = random.substr(0, 12);
  k.info.name = name;
  k.info.scope = scope;
  k.info.created = UnixNow();
  k.key = fmt::format("kgp_{}_{}", k.info.id, random.substr(12, 32));
  Stmt st = db.Prepare("INSERT INTO service_api_keys(id, name, scope, hash, created) VALUES(?,?,?,?,?)");
  st.Bind(1, k.info.id).Bind(2, name).Bind(3, ScopeName(scope)).Bind(4, HashApiKey(k.key)).Bind(5, k.info.created).Run();
  return k;
}

namespace {
// id, name, scope, created: the first four columns of both key queries.
ApiKeyInfo KeyFromRow(Stmt& st) {
  ApiKeyInfo k;
  k.id = std::string(st.Text(0));
  k.name = std::string(st.Text(1));
  k.scope = ParseScope(st.Text(2)).value_or(Scope::kRead);
  k.created = st.Int(3);
  return k;
}
}  // namespace

Result<std::vector<ApiKeyInfo>> ListApiKeys(Db& db) {
  KGP_RETURN_IF_ERROR(EnsureKeyTable(db));
  std::vector<ApiKeyInfo> out;
  Stmt st = db.Prepare("SELECT id, name, scope, created, revoked FROM service_api_keys ORDER BY created, id");
  while (st.Step()) {
    ApiKeyInfo k = KeyFromRow(st);
    k.revoked = !st.IsNull(4);
    out.push_back(std::move(k));
  }
  return out;
}

Status RevokeApiKey(Db& db, const std::string& id) {
  KGP_RETURN_IF_ERROR(EnsureKeyTable(db));
  Stmt st = db.Prepare("UPDATE service_api_keys SET revoked = coalesce(revoked, strftime('%s','now')) WHERE id = ?");
  st.Bind(1, id).Run();
  if (db.Changes() == 0) return Status::NotFound(fmt::format("no API key with id '{}'", id));
  return Status::Ok();
}

Result<std::unordered_map<std::string, ApiKeyInfo>> LoadActiveKeys(Db& db) {
  KGP_RETURN_IF_ERROR(EnsureKeyTable(db));
  std::unordered_map<std::string, ApiKeyInfo> out;
  Stmt st = db.Prepare("SELECT id, name, scope, created, hash FROM service_api_keys WHERE revoked IS NULL");
  while (st.Step()) out.emplace(std::string(st.Text(4)), KeyFromRow(st));
  return out;
}

}  // namespace kgp::service
