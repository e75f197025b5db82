// Thin RAII layer over SQLite: a connection, prepared statements, transactions.
// SQLite failures inside statements are run-ending (disk full, corruption, misuse) and throw
// kgp::Error; callers that can recover use the Status-returning calls. A Db is used by one
// thread at a time (SQLite's serialized mode is not relied upon).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kgp {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);  // throws Error on a bad statement
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view v);  // text; SQLite copies it
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& BindNull(int i);
  template <typename T>
  Stmt& Bind(int i, const std::optional<T>& v) {
    return v ? Bind(i, *v) : BindNull(i);
  }
  // Empty text binds NULL.
  Stmt& BindTextOrNull(int i, std::string_view v) { return v.empty() ? BindNull(i) : Bind(i, v); }

  bool Step();  // true: a row is available; false: done. Throws Error on failure.
  void Run() {  // steps to completion and resets, keeping bindings
    while (Step()) {
    }
    Reset();
  }
  void Reset();  // ready to run again; bindings are kept
  int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  double Double(int col) const { return sqlite3_column_double(st_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const;
  sqlite3_stmt* raw() { return st_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
};

class Db {
 public:
  // Page cache of an open connection, in KiB (PRAGMA cache_size=-N). Ingest raises it while a
  // file lands and restores this.
  static constexpr int64_t kDefaultCacheKb = 262144;

  // Opens (creating if allowed) with WAL, foreign keys off (ids are checked by writers),
  // synchronous=NORMAL (durable at checkpoint; WAL keeps every commit atomic).
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(std::string_view sql);  // one or more statements, no results
  Status SetCacheKb(int64_t kb);
  // Hands the page cache's memory back to the allocator, after a bulk read whose pages most
  // callers do not read again (all events, the whole graph): later allocations reuse it (or
  // malloc trims it) instead of the process carrying the cache on top of what it builds.
  // Pages are read again from the file when needed.
  void ReleaseCache();
  // How long a statement waits for another connection's write lock (default 10 s) before it
  // fails with an error saying another command is writing to the store.
  void SetBusyTimeoutMs(int ms);
  void ExecOrThrow(std::string_view sql) { ThrowIfError(Exec(sql)); }
  Stmt Prepare(std::string_view sql) { return Stmt(db_, sql); }
  int64_t QueryInt(std::string_view sql, int64_t if_none = 0);  // first column of first row
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// RAII transaction: rolls back unless Commit() was called.
class Txn {
 public:
  explicit Txn(Db& db, bool immediate = true);
  ~Txn();
  void Commit();
  void Rollback();

 private:
  Db& db_;
  bool open_ = true;
};

}  // namespace kgp
