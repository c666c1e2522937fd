#include "broker/pause_gate.h"

namespace sieve {

bool PauseGate::Paused(const JobEntry& job) const {
  return job.record.state == JobState::kPaused || open_.contains(job.record.job_id);
}

void PauseGate::PauseOpen(const std::string& job_id, const std::string& reason) {
  open_.try_emplace(job_id, reason);  // the first refusal's answer is the one quoted
}

std::string PauseGate::TakeOpenPause(const std::string& job_id) {
  auto it = open_.find(job_id);
  if (it == open_.end()) return "";
  std::string reason = std::move(it->second);
  open_.erase(it);
  return reason;
}

std::string PauseGate::OpenReason(const std::string& job_id) const {
  auto it = open_.find(job_id);
  return it == open_.end() ? "" : it->second;
}

bool PauseGate::Hold(const JobEntry& job, const ChunkKey& chunk) {
  if (!Paused(job)) return false;
  parked_[chunk.job_id].push_back(chunk);
  return true;
}

size_t PauseGate::ParkedOf(const std::string& job_id) const {
  auto it = parked_.find(job_id);
  return it == parked_.end() ? 0 : it->second.size();
}

std::vector<ChunkKey> PauseGate::Release(const std::string& job_id) {
  open_.erase(job_id);
  auto it = parked_.find(job_id);
  if (it == parked_.end()) return {};
  std::vector<ChunkKey> parked = std::move(it->second);
  parked_.erase(it);
  return parked;
}

void PauseGate::Forget(const std::string& job_id) {
  open_.erase(job_id);
  parked_.erase(job_id);
}

}  // namespace sieve
