#include "store/db.h"

#include <fmt/format.h>

namespace kgp {
namespace {

constexpr int kDefaultBusyTimeoutMs = 10000;

// SQLite's "database is locked" named neither the cause nor what to do.
std::string BusyMessage(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  return fmt::format(
      "{}: the store stayed busy: another kgprofile command (an ingest, a profile build or update, an erase, a "
      "server) is writing to it; run this again when it has finished",
      file && *file ? file : "database");
}

bool IsBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY; }

}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &st_, nullptr);
  if (rc != SQLITE_OK)
    throw Error(Status::Internal(fmt::format("SQL prepare failed: {} in: {}", sqlite3_errmsg(db), sql)));
}

Stmt::~Stmt() {
  if (st_) sqlite3_finalize(st_);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (st_) sqlite3_finalize(st_);
    db_ = o.db_;
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

bool Stmt::Step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = IsBusy(rc) ? BusyMessage(db_) : fmt::format("SQLite: {} (in: {})", sqlite3_errmsg(db_), sqlite3_sql(st_));
  sqlite3_reset(st_);
  throw Error(rc == SQLITE_CORRUPT ? Status::Corruption(msg) : Status::IoError(msg));
}

void Stmt::Reset() { sqlite3_reset(st_); }

std::string_view Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(st_, col);
  if (!p) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          static_cast<size_t>(sqlite3_column_bytes(st_, col)));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (db) sqlite3_close(db);
    return Status::IoError(fmt::format("{}: cannot open database: {}", path, msg));
  }
  std::unique_ptr<Db> out(new Db(db, path));
  sqlite3_busy_timeout(db, kDefaultBusyTimeoutMs);
  Status s = out->Exec(
      "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
      "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;");
  if (s.ok()) s = out->SetCacheKb(kDefaultCacheKb);
  if (!s.ok()) return s;
  return out;
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::SetCacheKb(int64_t kb) { return Exec(fmt::format("PRAGMA cache_size=-{}", kb)); }

void Db::ReleaseCache() { sqlite3_db_release_memory(db_); }

void Db::SetBusyTimeoutMs(int ms) { sqlite3_busy_timeout(db_, ms); }

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    if (IsBusy(rc)) return Status::IoError(BusyMessage(db_));
    return Status::IoError(fmt::format("{}: SQLite: {}", path_, msg));
  }
  return Status::Ok();
}

int64_t Db::QueryInt(std::string_view sql, int64_t if_none) {
  Stmt st(db_, sql);
  if (st.Step() && !st.IsNull(0)) return st.Int(0);
  return if_none;
}

Txn::Txn(Db& db, bool immediate) : db_(db) {
  db_.ExecOrThrow(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}
Txn::~Txn() {
  if (open_) (void)db_.Exec("ROLLBACK");
}
void Txn::Commit() {
  db_.ExecOrThrow("COMMIT");
  open_ = false;
}
void Txn::Rollback() {
  if (open_) db_.ExecOrThrow("ROLLBACK");
  open_ = false;
}

}  // namespace kgp
