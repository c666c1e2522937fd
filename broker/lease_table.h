// LeaseTable: which worker holds which chunk, under which attempt, until when.
//
// DESIGN
// A lease is (job, chunk, attempt) held by one worker until a deadline. Heartbeats that name
// the lease extend the deadline; a lease whose deadline passes, or whose worker is declared
// dead, comes back to the broker as "expired" to be queued again with attempt + 1. Messages
// about an older attempt than the current lease are ignored by the caller (Find + attempt).
// At most one lease per chunk exists at a time.
//
// Cost: Grant/Renew/Remove O(log n); Expired visits every lease (n = leases in flight, which is
// bounded by the workers' credit, tens to hundreds).
//
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sieve {

struct ChunkKey {
  std::string job_id;
  uint64_t chunk_index = 0;
  auto operator<=>(const ChunkKey&) const = default;
};

struct Lease {
  ChunkKey chunk;
  uint32_t attempt = 0;
  std::string worker;     // the worker's ROUTER identity
  int64_t granted_ms = 0;
  int64_t deadline_ms = 0;
  bool alone = false;     // the worker was given this chunk and nothing else (broker.h)
};

class LeaseTable {
 public:
  // REQUIRES: no lease on lease.chunk.
  void Grant(Lease lease);
  // Extends the lease to `deadline_ms` when it exists, has `attempt` and is held by `worker`.
  bool Renew(const ChunkKey& chunk, uint32_t attempt, const std::string& worker,
             int64_t deadline_ms);
  std::optional<Lease> Find(const ChunkKey& chunk) const;
  // Removes and returns the lease on `chunk`, if any.
  std::optional<Lease> Remove(const ChunkKey& chunk);
  // Removes and returns every lease past its deadline at `now_ms`.
  std::vector<Lease> TakeExpired(int64_t now_ms);
  // Removes and returns every lease held by `worker`.
  std::vector<Lease> TakeByWorker(const std::string& worker);
  // Removes and returns every lease of `job_id`.
  std::vector<Lease> TakeByJob(const std::string& job_id);
  size_t CountByWorker(const std::string& worker) const;
  // True when `worker` holds a lease granted with `alone`. Cost: O(leases).
  bool HoldsAlone(const std::string& worker) const;
  size_t size() const { return leases_.size(); }
  // The oldest grant time, or nullopt when empty.
  std::optional<int64_t> OldestGrantMs() const;

 private:
  template <typename Pred>
  std::vector<Lease> TakeIf(Pred pred);

  std::map<ChunkKey, Lease> leases_;
};

}  // namespace sieve
