// SqliteStatement: a prepared SQLite statement with RAII, typed binds and column reads.
//
// Errors carry the statement's SQL and SQLite's message. Not thread-safe (like its connection).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

class SqliteStatement {
 public:
  // Prepares `sql` on `db`; check status() before use.
  SqliteStatement(sqlite3* db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  const Status& status() const { return status_; }

  // Binds are 1-based like SQLite's. Text and blobs are copied (SQLITE_TRANSIENT).
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& BindBlob(int index, std::string_view value);

  // Steps once: true when a row is available, false when done; errors as Status.
  Result<bool> Step();
  // Steps to completion, ignoring rows.
  Status Run();

  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  Status status_;
};

}  // namespace sieve
