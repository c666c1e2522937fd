// JobOutput: one job's durable results at the collector and their ordered merge.
//
// DESIGN
// Directory layout (<dir> = <data-dir>/jobs/<job id>):
//   meta.json             the job (header, label column, totals once sealed); rewritten atomically
//   results/<index>.res   a StoredResult per chunk committed but not merged yet
//   output.partial        header + merged chunks, in chunk order (no header for JSON Lines)
//   errors.partial        "row,<first column>,reason" lines of merged failed rows
//   committed.log         "index rows errors [prompt_tokens completion_tokens]" per merged
//                         chunk (the tokens only when non-zero), so a duplicate delivery of a merged
//                         chunk can still be reported to the broker with its counts
//   merge.json            {next_chunk, output_bytes, errors_bytes, log_bytes, counters};
//                         rewritten atomically
//   output.csv, output.summary.json, output.errors.csv   once finished
//
// Invariants (what makes the output exactly-once and ordered):
//   - a chunk is committed iff index < next_chunk or results/<index>.res exists; Store writes
//     that file atomically and at most once (a committed chunk is never stored again);
//   - output.partial holds exactly the header and chunks [0, next_chunk) in its first
//     output_bytes bytes; anything past that is a torn append and is overwritten: every append
//     is written at output_bytes and merge.json moves forward only after the data is fsynced;
//   - a result file is deleted only after merge.json says its chunk is merged.
// Work per MergeReady: one file read, one append + fsync, one small atomic write per chunk, so
// memory is bounded by one chunk whatever the job's size.
//
// Thread-safety: not thread-safe; owned by the collector loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/stored_result.h"
#include "common/status.h"

namespace sieve {

struct JobMeta {
  std::string job_id;
  std::string name;
  std::string header_record;  // the input's header record, with its terminator
  std::string label_column;
  uint64_t total_chunks = 0;
  uint64_t total_rows = 0;
  bool sealed = false;
  int64_t opened_wall_ms = 0;
  std::string price;  // --price "P,C" per million tokens; empty: no cost in the summary
  std::string retry_of;  // `sieve retry`: the done job whose output this job's results rebuild
  std::string output_format = "csv";  // "jsonl": the output has no header line (docs/jsonl.md)
};

struct MergeProgress {
  uint64_t next_chunk = 0;
  uint64_t output_bytes = 0;
  uint64_t errors_bytes = 0;
  uint64_t log_bytes = 0;
  uint64_t rows = 0;
  uint64_t error_rows = 0;
  uint64_t retries = 0;
  uint64_t prompt_tokens = 0;  // summed over merged chunks (LLM endpoints)
  uint64_t completion_tokens = 0;
  uint64_t answers_invalid = 0;
  uint64_t rows_invalid = 0;
  uint64_t cached_rows = 0;  // rows answered from the result cache
  int64_t finished_wall_ms = 0;  // non-zero once the output is in place
};

class JobOutput {
 public:
  // Creates the job directory for a new job, or reopens (recovers) an existing one; in the
  // latter case `meta` only updates the totals when it is sealed.
  static Result<std::unique_ptr<JobOutput>> Open(const std::string& dir, const JobMeta& meta);
  // Reopens an existing job directory (collector restart). NotFound when it has no meta.json.
  static Result<std::unique_ptr<JobOutput>> Recover(const std::string& dir);
  ~JobOutput();
  JobOutput(const JobOutput&) = delete;
  JobOutput& operator=(const JobOutput&) = delete;

  const JobMeta& meta() const { return meta_; }
  const MergeProgress& progress() const { return progress_; }
  bool finished() const { return progress_.finished_wall_ms != 0; }

  // Records the totals once the client has uploaded every chunk. Idempotent.
  Status Seal(uint64_t total_chunks, uint64_t total_rows);
  bool IsCommitted(uint64_t chunk_index) const;
  // Makes the chunk's result durable. REQUIRES: !IsCommitted(chunk_index).
  Status Store(uint64_t chunk_index, const StoredResult& result);
  // Appends every stored chunk that is next in order, then finishes the output when the job is
  // sealed and complete. Returns the number of chunks merged. Safe to call again after a
  // failure (disk full): it resumes where the durable state says.
  Result<uint64_t> MergeReady();
  struct ChunkCounts {
    uint64_t rows = 0;
    uint64_t error_rows = 0;
    uint64_t prompt_tokens = 0;
    uint64_t completion_tokens = 0;
    uint64_t cached_rows = 0;  // 0 for chunks merged before a restart (not in committed.log)
  };
  // The counts of a committed chunk (merged or stored). NotFound when it is not committed.
  Result<ChunkCounts> CountsOf(uint64_t chunk_index) const;
  // Every committed chunk index, in order (for telling a restarted broker what is durable).
  std::vector<uint64_t> CommittedChunks() const;
  // Chunks stored but not merged yet (waiting for an earlier chunk).
  uint64_t pending() const { return pending_; }

  // `sieve retry` (collector/output_rebuild.h): the finished output was rebuilt and now has
  // `error_rows` error rows. REQUIRES: finished().
  Status NoteRebuilt(uint64_t error_rows);

  const std::string& dir() const { return dir_; }
  std::string output_path() const { return dir_ + "/output.csv"; }
  std::string summary_path() const { return dir_ + "/output.summary.json"; }
  std::string errors_path() const { return dir_ + "/output.errors.csv"; }

 private:
  explicit JobOutput(std::string dir) : dir_(std::move(dir)) {}
  Status Initialize();   // new job: header into output.partial, merge.json
  Status LoadState();    // existing job: meta.json, merge.json, counts pending results
  Status OpenPartials();
  Status LoadCommittedLog();
  Status RecoverFinish();
  Status MergeOne(const StoredResult& result);
  Status Finish();
  Status SaveMeta() const;
  Status SaveProgress() const;
  std::string ResultPath(uint64_t chunk_index) const;

  std::string dir_;
  JobMeta meta_;
  MergeProgress progress_;
  uint64_t pending_ = 0;
  int output_fd_ = -1;
  int errors_fd_ = -1;
  int log_fd_ = -1;
  std::vector<ChunkCounts> merged_counts_;  // by chunk index, for chunks < next_chunk
};

}  // namespace sieve
