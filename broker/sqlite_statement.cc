#include "broker/sqlite_statement.h"

namespace sieve {

SqliteStatement::SqliteStatement(sqlite3* db, const char* sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
    status_ = Status::Internal("cannot prepare '" + sql_ + "': " + sqlite3_errmsg(db_));
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  if (status_.ok()) sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  if (status_.ok()) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view value) {
  if (status_.ok()) {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (!status_.ok()) return status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int code = sqlite3_extended_errcode(db_);
  std::string msg = "'" + sql_ + "' failed: " + sqlite3_errmsg(db_);
  if (code == SQLITE_FULL || code == SQLITE_IOERR || (code & 0xff) == SQLITE_IOERR) {
    return Status::IoError(msg);
  }
  return Status::Internal(msg);
}

Status SqliteStatement::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

}  // namespace sieve
