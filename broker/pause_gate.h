// PauseGate: jobs paused while running, because the endpoint refused their requests with an
// answer retrying cannot fix (HTTP 401/403: an API key revoked), and their parked chunks
// (docs/architecture.md, "Pause while running").
//
// DESIGN
// A worker whose request gets 401/403 (after the job's canary passed, or without a canary)
// hands its chunk back with RELEASE `refusal` (the endpoint's answer) instead of labelling any
// row `error` (worker/chunk_tracker.h). The broker pauses the job: a sealed job's durable state
// becomes `paused` with the answer as its message (JobBook::SetPaused); an open job (the client
// still uploading) is paused here in memory and becomes `paused` when sealed. From then on
// Dispatch parks every chunk of the job here instead of handing it out; the job's other leases
// run to their end (a chunk that finishes is committed, work paid for is kept; one that meets
// the refusal is handed back and parked too). RESUME (`sieve resume JOB`, after the key is back)
// seals the job again and returns the parked chunks, in queue order, to the front of the queue.
// Nothing here is durable but the state: after a broker restart a `paused` job's chunks come
// back from the store and are parked again as Dispatch meets them.
//
// Memory: one entry per paused job, plus its parked chunk keys. Cost: O(log jobs) per call;
// Release is O(parked chunks of the job).
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "broker/job_book.h"

namespace sieve {

class PauseGate {
 public:
  // True when `job` is paused: its state is `paused`, or it was paused while still open.
  bool Paused(const JobEntry& job) const;
  // Pauses a job that is still open (not sealed yet) with `reason`; TakeOpenPause hands the
  // reason over when the job is sealed.
  void PauseOpen(const std::string& job_id, const std::string& reason);
  // The reason an open job was paused with, if it was (and forgets it); "" otherwise.
  std::string TakeOpenPause(const std::string& job_id);
  // The reason of an open job's pause ("" when it is not paused), for its status.
  std::string OpenReason(const std::string& job_id) const;

  // Dispatch, for a chunk about to be handed out: true when the job is paused (the chunk is
  // parked here until Release), false otherwise.
  bool Hold(const JobEntry& job, const ChunkKey& chunk);
  size_t ParkedOf(const std::string& job_id) const;

  // The job resumes: returns its parked chunks in the order Dispatch met them (to be requeued,
  // the first one first) and forgets an open job's pause.
  std::vector<ChunkKey> Release(const std::string& job_id);
  // Forgets the job (it ended or left memory); its parked chunks are dropped.
  void Forget(const std::string& job_id);

 private:
  std::map<std::string, std::string> open_;              // open jobs paused, with the reason
  std::map<std::string, std::vector<ChunkKey>> parked_;  // by job id
};

}  // namespace sieve
