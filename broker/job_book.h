// JobBook: every job the broker knows, in memory and durable (BrokerStore + ChunkSpool), and
// the queue of chunks waiting for a worker.
//
// DESIGN
// The book is the broker's source of truth for jobs and chunks; the lease table (in the
// Broker) only says who is working on what. A chunk is in exactly one of: queued (in the
// DispatchQueue, or leased), committed (durable at the collector), or gone with its job
// (cancelled). Queued chunks are pushed to the DispatchQueue when they arrive or are handed
// back; stale queue entries (a chunk committed while queued) are skipped by NextQueued.
// Every mutation is durable before it returns OK.
//
// Retention: an ended job (done, failed, cancelled) stays in memory for `retain_ms` after it
// ended, then only in SQLite (LoadStored answers for it), so a long-lived broker's memory is
// bounded by the jobs that are active or ended recently, not by every job it ever ran. After
// `purge_ms` the job's rows and spool are deleted for good. Open() loads ended jobs past
// `retain_ms` into nothing but the database either.
//
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_store.h"
#include "broker/chunk_spool.h"
#include "broker/dispatch_queue.h"
#include "common/clock.h"
#include "common/status.h"
#include "proto/client_messages.h"
#include "proto/messages.h"

namespace sieve {

struct JobEntry {
  JobRecord record;
  proto::JobSpec spec;
  std::vector<ChunkRecord> chunks;  // by chunk index; grows as the client uploads
  uint64_t chunks_committed = 0;
  uint64_t chunks_failed = 0;       // committed as all-error rows after max attempts

  // Not ended: may still produce output (a budget_exhausted or paused job waits for `sieve
  // resume`; its chunks stay queued and its collector keeps it open).
  bool active() const {
    return record.state == JobState::kOpen || record.state == JobState::kSealed ||
           record.state == JobState::kBudgetExhausted || record.state == JobState::kPaused;
  }
};

// A job's spec as the store keeps it (JobRecord::spec) and back; DecodeJobSpec fails with
// Corrupt on bytes that are not one. `sieve run` reads them too, before its broker starts.
std::string EncodeJobSpec(const proto::JobSpec& spec);
Result<proto::JobSpec> DecodeJobSpec(const std::string& blob);

class JobBook {
 public:
  // Opens the store and spool under `data_dir` and reloads every job; chunks that were queued
  // or leased when the broker stopped are queued again.
  // `retain_ms` < 0: ended jobs stay in memory forever (no eviction).
  static Result<std::unique_ptr<JobBook>> Open(const std::string& data_dir, const Clock& clock,
                                               int64_t retain_ms = -1);

  // Creates a job from a SUBMIT; returns its id. Fails with InvalidArgument on a bad spec.
  Result<std::string> Create(const proto::Submit& submit, const std::string& client);
  // Stores an uploaded chunk durably and queues it. A chunk already stored is accepted again
  // (client retry) without a second copy.
  Status AddChunk(const proto::Chunk& chunk);
  Status Seal(const proto::Seal& seal);
  // Marks a chunk committed; true when this call did it (false: already committed).
  // `failed`: the broker committed it as all-error rows (failed or poison).
  // The chunk's token usage is stored with it (ChunkRecord::prompt_tokens, ...).
  Result<bool> Commit(const std::string& job_id, uint64_t chunk_index, uint64_t error_rows,
                      bool failed, uint64_t prompt_tokens = 0, uint64_t completion_tokens = 0);
  Status MarkDone(const std::string& job_id, const std::string& output_path);
  // Budgets (broker/budget_gate.h). A sealed job becomes budget_exhausted, or (exhausted =
  // false) a budget_exhausted job is sealed again; other states are left alone. Durable.
  Status SetBudgetExhausted(const std::string& job_id, bool exhausted);
  // Pause while running (broker/pause_gate.h). paused: a sealed (or budget_exhausted) job
  // becomes paused with `reason` as its message; not paused: a paused job is sealed again and
  // its message cleared. Other states are left alone. Durable.
  Status SetPaused(const std::string& job_id, bool paused, const std::string& reason);
  // Sets the job's budget (JobSpec max_cost / max_tokens) in its stored spec. Durable.
  Status SetBudget(const std::string& job_id, const std::string& max_cost, uint64_t max_tokens);
  // Cancels a job: no more dispatch, chunks dropped from the spool.
  Status Cancel(const std::string& job_id, const std::string& reason);
  // Ends an active job as failed with `reason` (e.g. its canary): as Cancel, state kFailed.
  Status Fail(const std::string& job_id, const std::string& reason);

  // Puts a chunk handed back (expired or released lease) at the front of its job's queue.
  void Requeue(const ChunkKey& chunk) { queue_.PushFront(chunk.job_id, chunk.chunk_index); }
  // The next chunk to hand out, skipping stale entries. nullopt when none.
  std::optional<ChunkKey> NextQueued();
  size_t queued() const { return queue_.size(); }
  size_t QueuedOf(const std::string& job_id) const { return queue_.SizeOf(job_id); }

  JobEntry* Find(const std::string& job_id);
  const JobEntry* Find(const std::string& job_id) const;
  ChunkRecord* FindChunk(const ChunkKey& chunk);
  const std::map<std::string, JobEntry>& jobs() const { return jobs_; }
  // Persists every counter of the chunk (attempts, failures, losses, poison evidence).
  Status SaveAttempts(const ChunkRecord& chunk);
  Result<std::string> ChunkBytes(const ChunkKey& chunk) const;

  // Retention. Drops from memory every job that ended `retain_ms` or more ago (wall clock)
  // and returns their ids; they stay in SQLite. Cost: O(jobs in memory).
  std::vector<std::string> EvictEnded();
  // Deletes (SQLite rows and spool) at most `limit` jobs that ended `purge_ms` or more ago,
  // oldest first; returns their ids. Cost: one scan of the jobs table plus the deletes.
  Result<std::vector<std::string>> Purge(int64_t purge_ms, size_t limit);
  // A job that is not in memory (evicted), from SQLite; NotFound when it is unknown or purged.
  Result<StoredJob> LoadStored(const std::string& job_id) const;
  // `sieve retry`: the record and spec of a job, in memory or only in SQLite. NotFound when it
  // is unknown or purged.
  Result<std::pair<JobRecord, proto::JobSpec>> RecordAndSpec(const std::string& job_id) const;
  // `sieve retry`: the collector rebuilt a done job's output; its error rows are now
  // `error_rows`. Durable when it returns OK; a job not in memory is updated in SQLite only.
  Status SetErrorRows(const std::string& job_id, uint64_t error_rows);
  // Every job that is only in SQLite, most recently created first, at most `limit`.
  Result<std::vector<StoredJob>> LoadStoredAll(size_t limit) const;

 private:
  JobBook(std::unique_ptr<BrokerStore> store, std::string spool_dir, const Clock& clock,
          int64_t retain_ms)
      : store_(std::move(store)),
        spool_(std::move(spool_dir)),
        clock_(clock),
        retain_ms_(retain_ms) {}
  bool PastRetention(const JobRecord& record, int64_t now_wall_ms) const;
  Status End(const std::string& job_id, JobState state, const std::string& reason);
  Status Load();
  std::string NewJobId();

  std::unique_ptr<BrokerStore> store_;
  ChunkSpool spool_;
  const Clock& clock_;
  const int64_t retain_ms_;
  std::map<std::string, JobEntry> jobs_;
  DispatchQueue queue_;
};

}  // namespace sieve
