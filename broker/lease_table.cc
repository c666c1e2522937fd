#include "broker/lease_table.h"

namespace sieve {

void LeaseTable::Grant(Lease lease) {
  ChunkKey key = lease.chunk;
  leases_[key] = std::move(lease);
}

bool LeaseTable::Renew(const ChunkKey& chunk, uint32_t attempt, const std::string& worker,
                       int64_t deadline_ms) {
  auto it = leases_.find(chunk);
  if (it == leases_.end() || it->second.attempt != attempt || it->second.worker != worker) {
    return false;
  }
  it->second.deadline_ms = deadline_ms;
  return true;
}

std::optional<Lease> LeaseTable::Find(const ChunkKey& chunk) const {
  auto it = leases_.find(chunk);
  if (it == leases_.end()) return std::nullopt;
  return it->second;
}

std::optional<Lease> LeaseTable::Remove(const ChunkKey& chunk) {
  auto it = leases_.find(chunk);
  if (it == leases_.end()) return std::nullopt;
  Lease lease = std::move(it->second);
  leases_.erase(it);
  return lease;
}

template <typename Pred>
std::vector<Lease> LeaseTable::TakeIf(Pred pred) {
  std::vector<Lease> taken;
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (pred(it->second)) {
      taken.push_back(std::move(it->second));
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
  return taken;
}

std::vector<Lease> LeaseTable::TakeExpired(int64_t now_ms) {
  return TakeIf([now_ms](const Lease& l) { return l.deadline_ms <= now_ms; });
}

std::vector<Lease> LeaseTable::TakeByWorker(const std::string& worker) {
  return TakeIf([&worker](const Lease& l) { return l.worker == worker; });
}

std::vector<Lease> LeaseTable::TakeByJob(const std::string& job_id) {
  return TakeIf([&job_id](const Lease& l) { return l.chunk.job_id == job_id; });
}

size_t LeaseTable::CountByWorker(const std::string& worker) const {
  size_t n = 0;
  for (const auto& [key, lease] : leases_) n += lease.worker == worker ? 1 : 0;
  return n;
}

bool LeaseTable::HoldsAlone(const std::string& worker) const {
  for (const auto& [key, lease] : leases_) {
    if (lease.worker == worker && lease.alone) return true;
  }
  return false;
}

std::optional<int64_t> LeaseTable::OldestGrantMs() const {
  std::optional<int64_t> oldest;
  for (const auto& [key, lease] : leases_) {
    if (!oldest || lease.granted_ms < *oldest) oldest = lease.granted_ms;
  }
  return oldest;
}

}  // namespace sieve
