// DispatchQueue: the chunks waiting for a worker, fair across jobs.
//
// DESIGN
// One FIFO per job; Pop takes from the jobs in round-robin order, so two jobs submitted together
// progress at the same rate whatever their sizes. A chunk handed back (expired lease, released
// by a draining worker) goes to the FRONT of its job's FIFO: the collector merges in order, so
// an old chunk blocks the output until it is done.
//
// Cost: Push/Pop O(log jobs); RemoveJob O(chunks of that job).
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "broker/lease_table.h"

namespace sieve {

class DispatchQueue {
 public:
  void PushBack(const std::string& job_id, uint64_t chunk_index);
  void PushFront(const std::string& job_id, uint64_t chunk_index);
  // The next chunk in round-robin order across jobs, or nullopt when empty.
  std::optional<ChunkKey> Pop();
  // Drops every queued chunk of the job (cancel).
  void RemoveJob(const std::string& job_id);
  size_t size() const { return size_; }
  size_t SizeOf(const std::string& job_id) const;

 private:
  std::map<std::string, std::deque<uint64_t>> by_job_;
  std::string last_job_;  // the job Pop served last; the next Pop starts after it
  size_t size_ = 0;
};

}  // namespace sieve
