// BudgetGate: a job's --max-cost / --max-tokens, enforced where chunks are handed out
// (docs/architecture.md, "Budgets and the canary"; docs/llm.md, "Budgets").
//
// DESIGN
// Rule: a chunk of a job with a budget is handed out only when
//     committed usage + estimate of the chunks in flight + estimate of this chunk <= budget,
// in tokens (prompt + completion, --max-tokens) and in cost (through --price, --max-cost).
// Committed usage is the broker's JobUsage (the collector's COMMITTED, stored with each commit).
// A chunk's estimate is its rows times the job's mean prompt and completion tokens per row over
// its committed chunks that reported usage. Before any chunk has, the mean is unknown: the
// estimate is a prior (per row: ceil((template bytes + the chunk's mean row bytes) / 4) prompt
// tokens, the template's "max_tokens" or 16 completion tokens), and until the job's first chunk
// commits at most ONE chunk of it is in flight (the probe), so a wrong prior overshoots by one
// chunk at most. (An endpoint that reports no usage is never charged: the budget counts what
// is reported, like the cost.)
// In flight: the estimates of the chunks this gate admitted whose lease still exists (the broker
// passes a predicate over its lease table); entries whose lease ended (committed, handed back,
// lost) are dropped when next looked at, so no hook is needed where a lease ends.
// Blocked: once a chunk is refused, the job is blocked: every chunk of it that comes up is
// kept here (parked), in the order it came, and the job takes no worker. Each dispatch pass,
// Unpark looks at each blocked job again and, when its first parked chunk would now be
// admitted (a chunk in flight committed for less than its estimate), gives the parked chunks
// back to the queue. A blocked job with nothing in flight is exhausted: the broker marks it
// budget_exhausted (rows not sent are not labelled, nothing is lost), and only Release (RESUME
// with a new budget) unblocks it.
// Overshoot: committed usage can pass the budget only by the estimation error of the chunks
// in flight when it was reached: sum over them of (actual - estimate) <= chunks in flight x
// chunk rows x (worst per-row error); the probe bounds it by one chunk before the mean is
// known. Measured in docs/benchmarks.md ("Budget overshoot").
//
// Memory: per job with a budget, one estimate per chunk in flight and one key per parked chunk.
// Cost: Admit O(chunks of the job in flight); Unpark and Exhausted O(blocked jobs x their
// chunks in flight). Jobs without a budget cost one spec look-up per Admit.
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/job_book.h"
#include "broker/job_usage.h"
#include "common/status.h"
#include "common/token_price.h"

namespace sieve {

// A job's limits, from its spec.
struct Budget {
  uint64_t max_tokens = 0;  // 0: no token limit
  double max_cost = 0;      // 0: no cost limit
  TokenPrice price;         // what max_cost is counted in

  bool limited() const { return max_tokens > 0 || max_cost > 0; }
};

// The budget of `spec`. InvalidArgument when max_cost does not parse or is set without a price
// (a cost needs --price).
Result<Budget> BudgetOf(const proto::JobSpec& spec);

// Tokens per row or per chunk, as estimated (fractional).
struct TokenEstimate {
  double prompt = 0;
  double completion = 0;
  double total() const { return prompt + completion; }
};

// The estimate of one chunk of `job` (see the DESIGN note): mean usage per row of its committed
// chunks that reported usage (`usage`), or the prior. Pure.
TokenEstimate EstimateChunk(const JobEntry& job, const ChunkRecord& chunk, const JobUsage& usage);

class BudgetGate {
 public:
  using IsLeased = std::function<bool(const ChunkKey&)>;

  // Dispatch: true when `chunk` of `job` may be handed out now (its estimate then counts as in
  // flight until its lease ends); false when the gate keeps it (parked; the caller drops it).
  // A job without a budget is always admitted. A budget_exhausted job never is.
  bool Admit(const JobEntry& job, const ChunkRecord& chunk, const JobUsage& usage,
             const IsLeased& leased);
  // The parked chunks of blocked jobs (not exhausted) whose first parked chunk would now be
  // admitted, in the order they were parked; those jobs are no longer blocked. The caller puts
  // them back at the front of the queue.
  std::vector<ChunkKey> Unpark(const JobBook& book, const JobUsage& usage, const IsLeased& leased);
  // Blocked jobs with nothing in flight (candidates for budget_exhausted).
  std::vector<std::string> Exhausted(const IsLeased& leased);
  // RESUME with a new budget: the job is no longer blocked; returns its parked chunks in order.
  std::vector<ChunkKey> Release(const std::string& job_id);
  void Forget(const std::string& job_id) { jobs_.erase(job_id); }

  bool Blocked(const std::string& job_id) const;
  // For status: the budget against committed usage, and why the job is blocked ("" when the
  // job has no budget). No secret in it.
  std::string Describe(const JobEntry& job, const JobUsage& usage) const;

 private:
  struct JobState {
    std::map<uint64_t, TokenEstimate> in_flight;  // by chunk index
    std::vector<ChunkKey> parked;
    bool blocked = false;
    TokenEstimate refused;      // the estimate of the last chunk refused
    uint32_t refused_rows = 0;
  };
  // The job's chunks in flight, after dropping those whose lease ended.
  TokenEstimate InFlight(JobState& state, const std::string& job_id, const IsLeased& leased);
  // Would `chunk` fit? (no state change)
  static bool Fits(const Budget& budget, const JobUsage::Tokens& committed,
                   const TokenEstimate& in_flight, const TokenEstimate& chunk);

  std::map<std::string, JobState> jobs_;  // jobs with a budget that were looked at
};

}  // namespace sieve
