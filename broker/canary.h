// CanaryGate: a job's first chunk goes out alone, as its canary, and the job's other chunks
// wait until the canary says the endpoint answers (docs/architecture.md, "Budgets and the
// canary").
//
// DESIGN
// A job asks for a canary (JobSpec::canary, on by default in the CLI, --no-canary). Until the
// canary has PASSED, the first chunk Dispatch takes of the job is designated its canary
// (ASSIGN.canary): the worker sends that chunk's first row, then the next few concurrently,
// and answers CANARY as soon as one row gets a label (passed), or when every probe row failed
// the same way that retrying cannot fix (failed: the job ends `failed` with reason "canary"
// and the endpoint's answer; no other row is ever sent). Meanwhile Dispatch parks the job's
// other chunks here; Pass returns them, in queue order, to the front of the queue.
// A commit of any chunk of the job also passes it (a worker whose probe stayed inconclusive,
// e.g. an endpoint down for minutes, labels the chunk the ordinary way: transient failures
// are the retry machinery's business). A canary chunk whose lease ends without a verdict
// (worker lost, handed back) stays the job's canary: it is the next of the job to go out.
// Not durable: after a broker restart a job without a committed chunk runs its canary again.
//
// Memory: one entry per job in its canary, plus its parked chunk keys. Cost: O(log jobs) per
// call; Pass is O(parked chunks of the job).
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/job_book.h"

namespace sieve {

class CanaryGate {
 public:
  // True when `job` still needs its canary to pass before it fans out.
  bool Pending(const JobEntry& job) const;

  // Dispatch, for a chunk about to be handed out: true when it must wait (parked here: the
  // job's canary is another chunk). Otherwise false; when the job needs a canary and has none
  // yet, `chunk` becomes it.
  bool Hold(const JobEntry& job, const ChunkKey& chunk);
  // True when `chunk` is its job's canary, which its ASSIGN says.
  bool IsCanary(const ChunkKey& chunk) const;

  // The canary passed (CANARY passed, or a chunk of the job committed): the job fans out.
  // Returns the parked chunks in queue order (to be requeued, the first one first).
  std::vector<ChunkKey> Pass(const std::string& job_id);
  // Forgets the job (it failed, was cancelled or ended); its parked chunks are dropped.
  void Forget(const std::string& job_id);

 private:
  struct Probe {
    std::optional<ChunkKey> canary;  // designated when first dispatched
    std::vector<ChunkKey> parked;    // in the order Dispatch met them
  };
  std::map<std::string, Probe> probes_;  // jobs whose canary has not passed, by id
  std::map<std::string, bool> passed_;   // jobs whose canary passed (until forgotten)
};

}  // namespace sieve
