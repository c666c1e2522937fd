// JobUsage: the tokens each job's committed chunks used (LLM endpoints; docs/llm.md), as the
// collector reports them in COMMITTED. The broker's view of a job's committed usage: what
// `sieve status` shows, and what a budget stop (--max-cost / --max-tokens, broker/budget_gate.h)
// compares against. The broker also stores each chunk's usage with its commit (BrokerStore), so
// a restarted broker knows it before the collector re-announces anything.
//
// Per chunk, a report SETS the chunk's usage (it does not add), so the repeats the protocol
// allows (a duplicate RESULT, the collector re-announcing every committed chunk when the broker
// reconnects) never count twice, and a restarted broker rebuilds the usage of its active jobs
// from those re-announcements. Only chunks with non-zero usage (tokens or cached rows) are
// kept: memory is O(chunks with tokens or cache hits), zero for jobs on endpoints without `usage`
// that hit no cache. Cached rows of a restarted broker come back with the re-announcements (the
// broker's store keeps tokens only).
//
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sieve {

class JobUsage {
 public:
  struct Tokens {
    uint64_t prompt = 0;
    uint64_t completion = 0;
    // Not tokens, but reported and counted the same way (set per committed chunk): rows
    // answered from the result cache (docs/architecture.md), for `sieve status`.
    uint64_t cached_rows = 0;
  };

  // The committed chunk `chunk_index` of `job_id`, of `rows` rows, used `tokens`.
  // O(log chunks).
  void Record(const std::string& job_id, uint64_t chunk_index, Tokens tokens, uint64_t rows = 0);
  // The job's committed usage (zeros for an unknown job). O(log jobs).
  Tokens Of(const std::string& job_id) const;
  // Rows of the job's committed chunks that reported usage (what Of() is spread over).
  uint64_t RowsOf(const std::string& job_id) const;
  // Drops a job (cancelled or forgotten).
  void Forget(const std::string& job_id) { jobs_.erase(job_id); }

 private:
  struct Chunk {
    Tokens tokens;
    uint64_t rows = 0;
  };
  struct Job {
    std::map<uint64_t, Chunk> chunks;
    Tokens total;
    uint64_t rows = 0;
  };
  std::map<std::string, Job> jobs_;
};

}  // namespace sieve
