#include "broker/broker_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "broker/sqlite_statement.h"

namespace sieve {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  spec BLOB NOT NULL,
  header BLOB NOT NULL,
  state INTEGER NOT NULL,
  total_chunks INTEGER NOT NULL DEFAULT 0,
  total_rows INTEGER NOT NULL DEFAULT 0,
  done_rows INTEGER NOT NULL DEFAULT 0,
  error_rows INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  client TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  output_path TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
  job_id TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  first_row INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, chunk_index)
) WITHOUT ROWID;
)sql";

constexpr const char* kJobColumns =
    "job_id, name, spec, header, state, total_chunks, total_rows, done_rows, error_rows, "
    "created_ms, finished_ms, client, message, output_path";

}  // namespace

Result<std::unique_ptr<BrokerStore>> BrokerStore::Open(const std::string& path) {
  // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database
  // file's mode, so all three stay private whatever the umask (common/private_dir.h).
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string msg = "cannot open broker database " + path + ": " +
                      (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return Status::IoError(msg);
  }
  std::unique_ptr<BrokerStore> store(new BrokerStore(db));
  sqlite3_busy_timeout(db, 5000);
  SIEVE_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  SIEVE_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  SIEVE_RETURN_IF_ERROR(store->Exec(kSchema));
  // Columns added after the first release: a database made by an older broker gains them.
  SIEVE_RETURN_IF_ERROR(
      store->AddColumnIfMissing("chunks", "losses", "INTEGER NOT NULL DEFAULT 0"));
  SIEVE_RETURN_IF_ERROR(store->AddColumnIfMissing("chunks", "deaths", "TEXT NOT NULL DEFAULT ''"));
  SIEVE_RETURN_IF_ERROR(
      store->AddColumnIfMissing("chunks", "failed", "INTEGER NOT NULL DEFAULT 0"));
  SIEVE_RETURN_IF_ERROR(
      store->AddColumnIfMissing("chunks", "prompt_tokens", "INTEGER NOT NULL DEFAULT 0"));
  SIEVE_RETURN_IF_ERROR(
      store->AddColumnIfMissing("chunks", "completion_tokens", "INTEGER NOT NULL DEFAULT 0"));
  return store;
}

Status BrokerStore::AddColumnIfMissing(const char* table, const char* column,
                                       const char* definition) {
  std::string probe = std::string("SELECT ") + column + " FROM " + table + " LIMIT 0";
  if (sqlite3_exec(db_, probe.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) {
    return Status::Ok();
  }
  std::string add =
      std::string("ALTER TABLE ") + table + " ADD COLUMN " + column + " " + definition;
  return Exec(add.c_str());
}

BrokerStore::~BrokerStore() { sqlite3_close(db_); }

Status BrokerStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("broker database: ") + (err ? err : "unknown error");
    sqlite3_free(err);
    return Status::IoError(msg);
  }
  return Status::Ok();
}

Status BrokerStore::CreateJob(const JobRecord& job) {
  SqliteStatement st(db_,
                     "INSERT INTO jobs (job_id, name, spec, header, state, created_ms, client) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  return st.Bind(1, job.job_id)
      .Bind(2, job.name)
      .BindBlob(3, job.spec)
      .BindBlob(4, job.header)
      .Bind(5, static_cast<int64_t>(job.state))
      .Bind(6, job.created_ms)
      .Bind(7, job.client)
      .Run();
}

Status BrokerStore::AddChunk(const ChunkRecord& chunk) {
  SqliteStatement st(db_,
                     "INSERT OR IGNORE INTO chunks (job_id, chunk_index, first_row, row_count, "
                     "bytes, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  return st.Bind(1, chunk.job_id)
      .Bind(2, static_cast<int64_t>(chunk.chunk_index))
      .Bind(3, static_cast<int64_t>(chunk.first_row))
      .Bind(4, static_cast<int64_t>(chunk.row_count))
      .Bind(5, static_cast<int64_t>(chunk.bytes))
      .Bind(6, static_cast<int64_t>(ChunkState::kQueued))
      .Run();
}

Status BrokerStore::SealJob(const std::string& job_id, uint64_t total_chunks,
                            uint64_t total_rows) {
  SqliteStatement st(db_,
                     "UPDATE jobs SET total_chunks = ?2, total_rows = ?3, state = ?4 "
                     "WHERE job_id = ?1 AND state = ?5");
  return st.Bind(1, job_id)
      .Bind(2, static_cast<int64_t>(total_chunks))
      .Bind(3, static_cast<int64_t>(total_rows))
      .Bind(4, static_cast<int64_t>(JobState::kSealed))
      .Bind(5, static_cast<int64_t>(JobState::kOpen))
      .Run();
}

Status BrokerStore::SetJobState(const std::string& job_id, JobState state, int64_t finished_ms,
                                const std::string& message) {
  SqliteStatement st(db_,
                     "UPDATE jobs SET state = ?2, finished_ms = ?3, message = ?4 "
                     "WHERE job_id = ?1");
  return st.Bind(1, job_id)
      .Bind(2, static_cast<int64_t>(state))
      .Bind(3, finished_ms)
      .Bind(4, message)
      .Run();
}

Status BrokerStore::SetJobSpec(const std::string& job_id, const std::string& spec) {
  SqliteStatement st(db_, "UPDATE jobs SET spec = ?2 WHERE job_id = ?1");
  return st.Bind(1, job_id).BindBlob(2, spec).Run();
}

Status BrokerStore::SetOutputPath(const std::string& job_id, const std::string& output_path) {
  SqliteStatement st(db_, "UPDATE jobs SET output_path = ?2 WHERE job_id = ?1");
  return st.Bind(1, job_id).Bind(2, output_path).Run();
}

Status BrokerStore::SetErrorRows(const std::string& job_id, uint64_t error_rows) {
  SqliteStatement st(db_, "UPDATE jobs SET error_rows = ?2 WHERE job_id = ?1");
  return st.Bind(1, job_id).Bind(2, static_cast<int64_t>(error_rows)).Run();
}

Status BrokerStore::UpdateChunkAttempts(const std::string& job_id, uint64_t chunk_index,
                                        uint32_t attempts, uint32_t failures) {
  SqliteStatement st(db_,
                     "UPDATE chunks SET attempts = ?3, failures = ?4 "
                     "WHERE job_id = ?1 AND chunk_index = ?2");
  return st.Bind(1, job_id)
      .Bind(2, static_cast<int64_t>(chunk_index))
      .Bind(3, static_cast<int64_t>(attempts))
      .Bind(4, static_cast<int64_t>(failures))
      .Run();
}

Status BrokerStore::SaveChunkCounters(const ChunkRecord& chunk) {
  SqliteStatement st(db_,
                     "UPDATE chunks SET attempts = ?3, failures = ?4, losses = ?5, deaths = ?6 "
                     "WHERE job_id = ?1 AND chunk_index = ?2");
  return st.Bind(1, chunk.job_id)
      .Bind(2, static_cast<int64_t>(chunk.chunk_index))
      .Bind(3, static_cast<int64_t>(chunk.attempts))
      .Bind(4, static_cast<int64_t>(chunk.failures))
      .Bind(5, static_cast<int64_t>(chunk.losses))
      .Bind(6, chunk.deaths)
      .Run();
}

Result<bool> BrokerStore::CommitChunk(const std::string& job_id, uint64_t chunk_index,
                                      uint64_t error_rows, bool failed, uint64_t prompt_tokens,
                                      uint64_t completion_tokens) {
  SIEVE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  SqliteStatement mark(db_,
                       "UPDATE chunks SET state = ?3, failed = ?5, prompt_tokens = ?6, "
                       "completion_tokens = ?7 WHERE job_id = ?1 AND "
                       "chunk_index = ?2 AND state = ?4 RETURNING row_count");
  mark.Bind(1, job_id)
      .Bind(2, static_cast<int64_t>(chunk_index))
      .Bind(3, static_cast<int64_t>(ChunkState::kCommitted))
      .Bind(4, static_cast<int64_t>(ChunkState::kQueued))
      .Bind(5, failed ? 1 : 0)
      .Bind(6, static_cast<int64_t>(prompt_tokens))
      .Bind(7, static_cast<int64_t>(completion_tokens));
  Result<bool> row = mark.Step();
  if (!row.ok()) {
    (void)Exec("ROLLBACK");
    return row.status();
  }
  bool committed_now = *row;
  if (committed_now) {
    int64_t rows = mark.Int(0);
    SIEVE_RETURN_IF_ERROR(mark.Run());
    SqliteStatement add(db_,
                        "UPDATE jobs SET done_rows = done_rows + ?2, "
                        "error_rows = error_rows + ?3 WHERE job_id = ?1");
    Status s = add.Bind(1, job_id).Bind(2, rows).Bind(3, static_cast<int64_t>(error_rows)).Run();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
  }
  SIEVE_RETURN_IF_ERROR(Exec("COMMIT"));
  return committed_now;
}

Status BrokerStore::DeleteJob(const std::string& job_id) {
  SIEVE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status s;
  {
    SqliteStatement chunks(db_, "DELETE FROM chunks WHERE job_id = ?1");
    s = chunks.Bind(1, job_id).Run();
  }
  if (s.ok()) {
    SqliteStatement job(db_, "DELETE FROM jobs WHERE job_id = ?1");
    s = job.Bind(1, job_id).Run();
  }
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

Result<std::vector<JobRecord>> BrokerStore::LoadJobs() {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs ORDER BY created_ms";
  SqliteStatement st(db_, sql.c_str());
  std::vector<JobRecord> jobs;
  while (true) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    jobs.push_back(ReadJob(st));
  }
  return jobs;
}

JobRecord BrokerStore::ReadJob(const SqliteStatement& st) {
  JobRecord job;
  job.job_id = st.Text(0);
  job.name = st.Text(1);
  job.spec = st.Text(2);
  job.header = st.Text(3);
  job.state = static_cast<JobState>(st.Int(4));
  job.total_chunks = static_cast<uint64_t>(st.Int(5));
  job.total_rows = static_cast<uint64_t>(st.Int(6));
  job.done_rows = static_cast<uint64_t>(st.Int(7));
  job.error_rows = static_cast<uint64_t>(st.Int(8));
  job.created_ms = st.Int(9);
  job.finished_ms = st.Int(10);
  job.client = st.Text(11);
  job.message = st.Text(12);
  job.output_path = st.Text(13);
  return job;
}

Result<std::vector<ChunkRecord>> BrokerStore::LoadChunks(const std::string& job_id) {
  SqliteStatement st(db_,
                     "SELECT chunk_index, first_row, row_count, bytes, state, attempts, failures, "
                     "losses, deaths, failed, prompt_tokens, completion_tokens FROM chunks "
                     "WHERE job_id = ?1 ORDER BY chunk_index");
  st.Bind(1, job_id);
  std::vector<ChunkRecord> chunks;
  while (true) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ChunkRecord c;
    c.job_id = job_id;
    c.chunk_index = static_cast<uint64_t>(st.Int(0));
    c.first_row = static_cast<uint64_t>(st.Int(1));
    c.row_count = static_cast<uint32_t>(st.Int(2));
    c.bytes = static_cast<uint64_t>(st.Int(3));
    c.state = static_cast<ChunkState>(st.Int(4));
    c.attempts = static_cast<uint32_t>(st.Int(5));
    c.failures = static_cast<uint32_t>(st.Int(6));
    c.losses = static_cast<uint32_t>(st.Int(7));
    c.deaths = st.Text(8);
    c.failed = st.Int(9) != 0;
    c.prompt_tokens = static_cast<uint64_t>(st.Int(10));
    c.completion_tokens = static_cast<uint64_t>(st.Int(11));
    chunks.push_back(std::move(c));
  }
  return chunks;
}

Result<StoredJob> BrokerStore::LoadStoredJob(const std::string& job_id) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE job_id = ?1";
  SqliteStatement st(db_, sql.c_str());
  st.Bind(1, job_id);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no job " + job_id);
  StoredJob stored;
  stored.record = ReadJob(st);
  SqliteStatement counts(db_,
                         "SELECT COUNT(*), COALESCE(SUM(state = ?2), 0), "
                         "COALESCE(SUM(failed), 0) FROM chunks WHERE job_id = ?1");
  counts.Bind(1, job_id).Bind(2, static_cast<int64_t>(ChunkState::kCommitted));
  Result<bool> counted = counts.Step();
  if (!counted.ok()) return counted.status();
  if (*counted) {
    stored.chunks = static_cast<uint64_t>(counts.Int(0));
    stored.chunks_committed = static_cast<uint64_t>(counts.Int(1));
    stored.chunks_failed = static_cast<uint64_t>(counts.Int(2));
  }
  return stored;
}

Result<std::vector<std::string>> BrokerStore::EndedBefore(int64_t finished_before_ms,
                                                          size_t limit) {
  SqliteStatement st(db_,
                     "SELECT job_id FROM jobs WHERE state IN (?1, ?2, ?3) AND finished_ms > 0 "
                     "AND finished_ms <= ?4 ORDER BY finished_ms LIMIT ?5");
  st.Bind(1, static_cast<int64_t>(JobState::kDone))
      .Bind(2, static_cast<int64_t>(JobState::kFailed))
      .Bind(3, static_cast<int64_t>(JobState::kCancelled))
      .Bind(4, finished_before_ms)
      .Bind(5, static_cast<int64_t>(limit));
  std::vector<std::string> ids;
  while (true) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back(st.Text(0));
  }
  return ids;
}

}  // namespace sieve
