#include "broker/dispatch_queue.h"

namespace sieve {

void DispatchQueue::PushBack(const std::string& job_id, uint64_t chunk_index) {
  by_job_[job_id].push_back(chunk_index);
  ++size_;
}

void DispatchQueue::PushFront(const std::string& job_id, uint64_t chunk_index) {
  by_job_[job_id].push_front(chunk_index);
  ++size_;
}

std::optional<ChunkKey> DispatchQueue::Pop() {
  if (by_job_.empty()) return std::nullopt;
  auto it = by_job_.upper_bound(last_job_);
  if (it == by_job_.end()) it = by_job_.begin();
  ChunkKey key{it->first, it->second.front()};
  it->second.pop_front();
  --size_;
  last_job_ = it->first;
  if (it->second.empty()) by_job_.erase(it);
  return key;
}

void DispatchQueue::RemoveJob(const std::string& job_id) {
  auto it = by_job_.find(job_id);
  if (it == by_job_.end()) return;
  size_ -= it->second.size();
  by_job_.erase(it);
}

size_t DispatchQueue::SizeOf(const std::string& job_id) const {
  auto it = by_job_.find(job_id);
  return it == by_job_.end() ? 0 : it->second.size();
}

}  // namespace sieve
