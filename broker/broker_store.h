// BrokerStore: the broker's durable state (jobs and chunks) in SQLite, WAL mode.
//
// DESIGN
// The broker keeps everything it must not forget here; chunk *bytes* live in the ChunkSpool.
// Leases are deliberately NOT stored: after a restart every chunk that was leased is queued
// again (the collector de-duplicates late results), so the store never has to agree with the
// lease table in memory. Every mutating call is one transaction, durable when it returns OK
// (journal_mode=WAL, synchronous=FULL).
//
// Thread-safety: not thread-safe; the broker's event loop owns the only instance.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/message_parts.h"

struct sqlite3;

namespace sieve {
class SqliteStatement;
}

namespace sieve {

using proto::JobState;  // kOpen (receiving chunks), kSealed (all chunks in), kDone, ...
enum class ChunkState { kQueued, kCommitted };

struct JobRecord {
  std::string job_id;
  std::string name;
  std::string spec;    // the encoded JobSpec map (proto), opaque here
  std::string header;  // the CSV header record bytes, with its line terminator
  JobState state = JobState::kOpen;
  uint64_t total_chunks = 0;  // known once sealed
  uint64_t total_rows = 0;    // known once sealed
  uint64_t done_rows = 0;     // rows of committed chunks
  uint64_t error_rows = 0;    // rows labelled with the error label among done_rows
  int64_t created_ms = 0;     // wall clock, ms since the epoch
  int64_t finished_ms = 0;    // 0 while not finished
  std::string client;         // who submitted it (public key or "local")
  std::string message;        // why it failed or was cancelled
  std::string output_path;    // where the collector put the output, once done
};

struct ChunkRecord {
  std::string job_id;
  uint64_t chunk_index = 0;
  uint64_t first_row = 0;
  uint32_t row_count = 0;
  uint64_t bytes = 0;          // size of the spooled chunk
  ChunkState state = ChunkState::kQueued;
  uint32_t attempts = 0;       // leases handed out so far
  uint32_t failures = 0;       // leases the chunk failed (a worker's RELEASE saying so)
  uint32_t losses = 0;         // leases that ended because their worker was lost
  // Poison-pill evidence: the names of the workers whose deaths, one after the other with no
  // other worker death in between, each held this chunk alone (broker.h, docs/reliability.md).
  // Comma-separated; empty when there is none.
  std::string deaths = {};
  bool failed = false;         // committed as all-error rows by the broker (failed or poison)
  uint64_t prompt_tokens = 0;      // usage the collector reported with the commit (LLM jobs)
  uint64_t completion_tokens = 0;
};

// What the store can say about a job without its chunks in memory (an ended job the broker
// no longer keeps): its record and its chunk counts.
struct StoredJob {
  JobRecord record;
  uint64_t chunks = 0;            // chunks stored
  uint64_t chunks_committed = 0;
  uint64_t chunks_failed = 0;     // committed as all-error rows by the broker
};

class BrokerStore {
 public:
  // Opens (creating if needed) the database at `path` and its schema.
  static Result<std::unique_ptr<BrokerStore>> Open(const std::string& path);
  ~BrokerStore();
  BrokerStore(const BrokerStore&) = delete;
  BrokerStore& operator=(const BrokerStore&) = delete;

  Status CreateJob(const JobRecord& job);
  // Adds a chunk; AlreadyPresent chunks are left as they are and OK is returned.
  Status AddChunk(const ChunkRecord& chunk);
  Status SealJob(const std::string& job_id, uint64_t total_chunks, uint64_t total_rows);
  Status SetJobState(const std::string& job_id, JobState state, int64_t finished_ms,
                     const std::string& message);
  Status SetOutputPath(const std::string& job_id, const std::string& output_path);
  Status SetErrorRows(const std::string& job_id, uint64_t error_rows);  // `sieve retry`
  // Records a new lease or a failure of one (attempt and failure counters).
  Status UpdateChunkAttempts(const std::string& job_id, uint64_t chunk_index, uint32_t attempts,
                             uint32_t failures);
  // Records every counter of a chunk: attempts, failures, losses and poison evidence.
  Status SaveChunkCounters(const ChunkRecord& chunk);
  // Marks a chunk committed and adds its rows to the job's counters; `failed` when the broker
  // committed it as all-error rows. Idempotent: a chunk already committed changes nothing.
  // Returns true when this call committed it.
  // The chunk's token usage is stored with it (budgets: broker/budget_gate.h).
  Result<bool> CommitChunk(const std::string& job_id, uint64_t chunk_index, uint64_t error_rows,
                           bool failed = false, uint64_t prompt_tokens = 0,
                           uint64_t completion_tokens = 0);
  // Replaces the job's encoded spec (RESUME changing its budget).
  Status SetJobSpec(const std::string& job_id, const std::string& spec);
  // Deletes the job and its chunks in one transaction.
  Status DeleteJob(const std::string& job_id);

  Result<std::vector<JobRecord>> LoadJobs();
  Result<std::vector<ChunkRecord>> LoadChunks(const std::string& job_id);
  // One job with its chunk counts, read from the database; NotFound when it is not there.
  // Cost: one indexed look-up plus a scan of the job's chunk rows.
  Result<StoredJob> LoadStoredJob(const std::string& job_id);
  // Ended jobs (done, failed, cancelled) that finished at or before `finished_before_ms`
  // (wall clock), oldest first, at most `limit`. Cost: a scan of the jobs table.
  Result<std::vector<std::string>> EndedBefore(int64_t finished_before_ms, size_t limit);

 private:
  explicit BrokerStore(sqlite3* db) : db_(db) {}
  static JobRecord ReadJob(const SqliteStatement& st);  // a row of kJobColumns
  Status Exec(const char* sql);
  // Adds a column the schema gained after the database was created (ALTER TABLE ... ADD
  // COLUMN); OK when it is there already.
  Status AddColumnIfMissing(const char* table, const char* column, const char* definition);

  sqlite3* db_;  // owned
};

}  // namespace sieve
