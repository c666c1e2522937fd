// JobSecrets: the credential headers of jobs, held by the broker in memory only, and the jobs
// that wait for them.
//
// DESIGN
// A job's literal credential headers (common/header_secrets.h: Authorization, X-Api-Key, ...,
// or any named with --secret-header) are taken out of its spec before the spec is stored
// (TakeCredentialHeaders): SQLite, the spool, logs, metrics and status never see them; the
// stored spec lists their NAMES in `withheld_headers`. They live here, by job id, and are put
// back into each ASSIGN (SpecForWorker). They are dropped when the job ends (Drop).
// After a broker restart the map is empty: a job whose spec withholds headers then waits
// ("waiting_for" = "secret" in its status, not an error); Dispatch parks its chunks here
// instead of leasing them, and RESUME (Resupply) puts the headers back and returns the parked
// chunks to the queue. A chunk handed back for a missing WORKER secret (${secret:NAME}) holds
// the job back for a pause (5 s doubling to 60 s; its chunks are parked meanwhile, Unpark
// returns them) so that the broker and the worker do not bounce chunks at each other, and
// leaves a note shown in status; both end when one of the job's chunks commits. Other jobs
// keep the worker busy meanwhile.
//
// Memory: the headers of active jobs, plus one key per parked chunk. Cost: Unpark visits the
// jobs with parked chunks.
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/job_book.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

// Moves the literal credential headers out of spec.headers, records their names in
// spec.withheld_headers, and returns them ("Name: value" lines).
std::vector<std::string> TakeCredentialHeaders(proto::JobSpec& spec);

class JobSecrets {
 public:
  void Put(const std::string& job_id, std::vector<std::string> headers);
  // Forgets the job's headers (overwriting their bytes first), parked chunks and note.
  void Drop(const std::string& job_id);
  // True when the job withholds headers that the broker does not hold (after a restart).
  bool Waiting(const JobEntry& job) const;
  // The spec an ASSIGN carries: the stored spec with the credential headers put back.
  proto::JobSpec SpecForWorker(const JobEntry& job) const;

  // Dispatch: when the job is waiting or held back, keeps `chunk` aside and returns true.
  bool Park(const JobEntry& job, const ChunkKey& chunk, int64_t now_ms);
  // Dispatch: the parked chunks of jobs no longer held back (and not waiting), in queue order.
  std::vector<ChunkKey> Unpark(int64_t now_ms);
  // RESUME: checks that `given` supplies every withheld header (by name, any case), keeps
  // those, and returns the parked chunks in queue order. InvalidArgument naming the headers
  // still missing (names only). Headers not withheld are ignored.
  Result<std::vector<ChunkKey>> Resupply(const JobEntry& job,
                                         const std::vector<std::string>& given);

  // A worker handed a chunk back because it lacks secret `name`: holds the job back a pause.
  void NoteMissingWorkerSecret(const std::string& job_id, const std::string& worker,
                               const std::string& name, int64_t now_ms);
  // A chunk of the job committed: no more note or hold.
  void ClearNote(const std::string& job_id) {
    notes_.erase(job_id);
    holds_.erase(job_id);
  }
  // Fills status.waiting_for and status.message (no secret in either).
  void Describe(const JobEntry& job, proto::JobStatus& status) const;

 private:
  std::map<std::string, std::vector<std::string>> headers_;  // by job id
  std::map<std::string, std::vector<ChunkKey>> parked_;      // by job id, in dispatch order
  std::map<std::string, std::string> notes_;                 // by job id
  struct Hold {
    int64_t until_ms = 0;
    int64_t pause_ms = 0;
  };
  std::map<std::string, Hold> holds_;  // by job id
  std::map<std::string, bool> waiting_;  // by job id, as of the last Park (for Unpark)
};

}  // namespace sieve
