#include "broker/canary.h"

namespace sieve {

bool CanaryGate::Pending(const JobEntry& job) const {
  return job.spec.canary && job.chunks_committed == 0 && !passed_.contains(job.record.job_id);
}

bool CanaryGate::Hold(const JobEntry& job, const ChunkKey& chunk) {
  if (!Pending(job)) return false;
  Probe& probe = probes_[chunk.job_id];
  if (!probe.canary) {
    probe.canary = chunk;
    return false;
  }
  if (*probe.canary == chunk) return false;
  probe.parked.push_back(chunk);
  return true;
}

bool CanaryGate::IsCanary(const ChunkKey& chunk) const {
  auto it = probes_.find(chunk.job_id);
  return it != probes_.end() && it->second.canary == chunk;
}

std::vector<ChunkKey> CanaryGate::Pass(const std::string& job_id) {
  passed_[job_id] = true;
  auto it = probes_.find(job_id);
  if (it == probes_.end()) return {};
  std::vector<ChunkKey> parked = std::move(it->second.parked);
  probes_.erase(it);
  return parked;
}

void CanaryGate::Forget(const std::string& job_id) {
  probes_.erase(job_id);
  passed_.erase(job_id);
}

}  // namespace sieve
