// The broker's hooks for budgets (--max-cost / --max-tokens): the gate itself, its rule and
// its bound are in broker/budget_gate.h. Dispatch asks AdmitByBudget before every lease;
// CheckBudgets runs after every dispatch pass; RESUME changes a budget (broker_resume.cc).
#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace sieve {

bool Broker::AdmitByBudget(const ChunkKey& key) {
  const JobEntry* job = book_->Find(key.job_id);
  const ChunkRecord* chunk = book_->FindChunk(key);
  if (job == nullptr || chunk == nullptr) return true;
  return budget_.Admit(*job, *chunk, usage_,
                       [&](const ChunkKey& k) { return leases_.Find(k).has_value(); });
}

void Broker::CheckBudgets() {
  auto leased = [&](const ChunkKey& k) { return leases_.Find(k).has_value(); };
  // Unpark first: a blocked job whose last chunk in flight just committed for less than its
  // estimate (for nothing, when every row came from the result cache) goes on; only a job
  // that still cannot fit its next chunk with nothing in flight is exhausted.
  std::vector<ChunkKey> back = budget_.Unpark(*book_, usage_, leased);
  // Back at the front of their job's queue in their order: PushFront, so the last one first.
  for (auto it = back.rbegin(); it != back.rend(); ++it) book_->Requeue(*it);
  for (const std::string& id : budget_.Exhausted(leased)) {
    JobEntry* job = book_->Find(id);
    if (job == nullptr || job->record.state != JobState::kSealed) continue;  // still uploading
    Status s = book_->SetBudgetExhausted(id, true);
    if (!s.ok()) {
      spdlog::error("job {}: cannot record budget_exhausted: {}", id, s.ToString());
      continue;
    }
    spdlog::warn("job {}: budget exhausted, dispatch stopped ({})", id,
                 budget_.Describe(*job, usage_));
  }
}

void Broker::RecoverUsage() {
  for (const auto& [id, job] : book_->jobs()) {
    for (const ChunkRecord& c : job.chunks) {
      if (c.state != ChunkState::kCommitted) continue;
      usage_.Record(id, c.chunk_index, {c.prompt_tokens, c.completion_tokens}, c.row_count);
    }
  }
}

}  // namespace sieve
