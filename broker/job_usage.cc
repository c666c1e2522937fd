#include "broker/job_usage.h"

namespace sieve {

void JobUsage::Record(const std::string& job_id, uint64_t chunk_index, Tokens tokens) {
  if (tokens.prompt == 0 && tokens.completion == 0 && jobs_.find(job_id) == jobs_.end()) return;
  Job& job = jobs_[job_id];
  Tokens& chunk = job.chunks[chunk_index];
  job.total.prompt += tokens.prompt - chunk.prompt;  // unsigned wrap-around cancels out
  job.total.completion += tokens.completion - chunk.completion;
  chunk = tokens;
}

JobUsage::Tokens JobUsage::Of(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? Tokens{} : it->second.total;
}

}  // namespace sieve
