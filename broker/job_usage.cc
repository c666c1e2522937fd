#include "broker/job_usage.h"

namespace sieve {

void JobUsage::Record(const std::string& job_id, uint64_t chunk_index, Tokens tokens,
                      uint64_t rows) {
  if (tokens.prompt == 0 && tokens.completion == 0) {
    rows = 0;  // a chunk without usage says nothing about tokens per row
    if (tokens.cached_rows == 0 && jobs_.find(job_id) == jobs_.end()) return;
  }
  Job& job = jobs_[job_id];
  Chunk& chunk = job.chunks[chunk_index];
  job.total.prompt += tokens.prompt - chunk.tokens.prompt;  // unsigned wrap-around cancels out
  job.total.completion += tokens.completion - chunk.tokens.completion;
  job.total.cached_rows += tokens.cached_rows - chunk.tokens.cached_rows;
  job.rows += rows - chunk.rows;
  chunk = Chunk{tokens, rows};
}

JobUsage::Tokens JobUsage::Of(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? Tokens{} : it->second.total;
}

uint64_t JobUsage::RowsOf(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? 0 : it->second.rows;
}

}  // namespace sieve
