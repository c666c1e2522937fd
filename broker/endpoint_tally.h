// EndpointTally: per job, what each member of its endpoint pool answered, summed over the
// workers' heartbeats (proto::JobEndpointCounts), for `sieve status`, its JSON and the console.
//
// DESIGN: workers send what their pools counted since their previous heartbeat; the tally adds
// it. The sums are since this broker started (kept in memory only: a restarted broker counts
// again from zero, and a heartbeat lost with a dying connection loses its few seconds of
// counts), which is what an operator watching a pool needs. "Cooling" is a state, not a count:
// each heartbeat replaces what its worker said before, and a worker that is gone rests nothing.
// Cost: O(endpoints) per reported job.
//
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/message_parts.h"

namespace sieve {

class EndpointTally {
 public:
  // One HEARTBEAT of `worker`: adds its counts and replaces what it rests.
  void Add(const std::string& worker, const std::vector<proto::JobEndpointCounts>& reports);
  // The worker is gone: it rests nothing any more.
  void WorkerGone(const std::string& worker);
  void ForgetJob(const std::string& job_id);
  // The job's endpoints in the order first reported; `cooling` is the number of workers that
  // rest each now. Empty for a job without a pool (or none reported yet).
  std::vector<proto::EndpointCounts> Of(const std::string& job_id) const;

 private:
  struct Entry {
    proto::EndpointCounts sums;            // cooling unused here
    std::set<std::string> cooling_workers;
  };
  std::map<std::string, std::vector<Entry>> jobs_;  // by job id
};

}  // namespace sieve
