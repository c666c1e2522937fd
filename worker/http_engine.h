// HttpEngine: turns the rows of chunks into HTTP requests on one event loop and comes back with
// a label or a precise error for every row.
//
// Model: Submit() queues chunks; Poll() drives the transfers (an HttpTransport on epoll:
// libcurl's multi interface, or the native HTTP/1.1 client for plain http://; see
// http_transport.h) for a bounded time and returns
// the chunks that finished. All submitted chunks share one concurrency limit (fixed, or AIMD
// when options.adaptive); rows of earlier chunks are sent first, so chunks finish in about the
// order they came. A worker's event loop calls Poll() with a timeout of ~100 ms and does its
// heartbeats between calls; another thread may call Wakeup() to cut a Poll short.
// LabelRows() is the one-chunk convenience on top.
//
// Per row: at most 1 + options.retries attempts (transient failures), plus
// options.invalid_retries re-asks when --labels is set and the answer is not one of them
// (label_set.h; each re-ask is a new request with its own Idempotency-Key). Connect errors, resets, timeouts, truncated
// answers, 5xx and 429 are retried after exponential backoff with full jitter (at least the
// server's Retry-After), while the chunk's retry budget lasts; 4xx and malformed answers are
// final. Once the budget is spent and the endpoint keeps failing, the chunk's unsent rows fail
// without being sent (fail fast). Request headers given in the options are never logged.
//
// Thread-safety: NOT thread-safe. One thread drives the engine (every method but Wakeup);
// Wakeup() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "worker/cancel_token.h"
#include "common/clock.h"
#include "worker/chunk_tracker.h"
#include "worker/concurrency_limiter.h"
#include "worker/endpoint_pool.h"
#include "worker/engine_options.h"
#include "worker/http_transport.h"
#include "worker/label_reader.h"
#include "worker/label_set.h"
#include "worker/retry_policy.h"
#include "worker/row_batch.h"

namespace sieve {

struct AttemptOutcome;

class HttpEngine {
 public:
  using ChunkId = uint64_t;
  struct FinishedChunk {
    ChunkId id = 0;
    ChunkLabels labels;
  };

  // Fails with InvalidArgument on unusable options (see ValidateEngineOptions, --label-field,
  // CreateTransport), Internal when the transport cannot be set up. `clock` times retries and chunk durations; it must
  // outlive the engine.
  static Result<std::unique_ptr<HttpEngine>> Create(
      EngineOptions options, const Clock& clock = SystemClock::Get());
  ~HttpEngine();
  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  // Queues a chunk; no request is made before the next Poll. The engine shares ownership of
  // `batch` until the chunk finishes or is cancelled. Fails with InvalidArgument, queuing
  // nothing, when --fields names a column missing from the header or the job id holds control
  // characters.
  // `canary`: the chunk is its job's canary (worker/canary_probe.h): its first rows probe
  // the endpoint before the others are sent; TakeCanaryPassed reports a pass.
  Result<ChunkId> Submit(std::shared_ptr<const RowBatch> batch, bool canary = false);

  // The canary chunks whose probe passed since the last call (each reported once).
  std::vector<ChunkId> TakeCanaryPassed() { return std::exchange(canary_passed_, {}); }

  // Forgets a chunk: its requests in flight are aborted, its queued retries dropped, and no
  // result is reported for it. NotFound when the chunk is unknown or already returned by Poll.
  Status Cancel(ChunkId id);

  // Drives the transfers for at most `timeout` of real time and returns the chunks that have
  // finished (possibly none). Returns as soon as at least one chunk has finished, or when
  // Wakeup() was called. Cost per wake-up: O(requests started + requests finished).
  std::vector<FinishedChunk> Poll(std::chrono::milliseconds timeout);

  // Makes the current or next Poll return early. Thread-safe.
  void Wakeup();

  // Labels one chunk: Submit, then Poll until it is done, checking `cancel` at least every
  // 100 ms. Fails with InvalidArgument as Submit, or Cancelled (the chunk is dropped).
  // REQUIRES: no other chunk is pending in this engine; `batch` outlives the call.
  Result<ChunkLabels> LabelRows(const RowBatch& batch, const CancelToken& cancel);

  size_t pending_chunks() const { return chunks_.size(); }
  int in_flight() const { return in_flight_; }
  int concurrency_limit() const { return limiter_.limit(); }
  // The job's endpoint pool (EngineOptions::endpoints), or null for a single endpoint.
  const EndpointPool* pool() const { return pool_.get(); }
  EndpointPool* pool() { return pool_.get(); }

 private:
  // One request in flight; the index in slots_ is the transport's slot.
  struct Slot {
    Call call;
    uint64_t epoch = 0;  // the limiter's epoch when it started
    bool active = false;
    int endpoint = 0;    // of the pool, when there is one
  };

  HttpEngine(EngineOptions options, LabelReader reader, const Clock& clock);
  std::vector<std::string> BaseHeaders() const;

  void StartCalls();
  bool BudgetAvailable() const;  // the worker-wide budget allows one more request
  bool NextCall(Call* call);
  void StartCall(Call call);
  int DrainCompletions();  // returns the number of transfers finished
  void Complete(int slot);
  void ReportQuota(const TransferReport& report);
  void ResolveCall(Call& call, std::string_view response, const AttemptOutcome& outcome,
                   ChunkTracker& chunk);
  // Labels the rows of a successful answer, checking each against --labels; rows whose answer
  // is not one of them are re-asked (a new call, due now) or failed.
  void AcceptAnswers(Call& call, std::vector<Result<std::string>> answers, ChunkTracker& chunk);
  void Retry(Call call, const AttemptOutcome& outcome, ChunkTracker& chunk);
  void FailCall(const Call& call, const std::string& reason, ChunkTracker& chunk,
                FailureSignature signature = {});
  // Pool only: tells the pool how the attempt on `endpoint` went.
  void ReportToPool(int endpoint, const AttemptOutcome& outcome,
                    std::chrono::microseconds duration);
  // The reason of a row's last failed attempt; with a pool it names the endpoints that failed.
  std::string FinalPoolReason(const Call& call, const AttemptOutcome& outcome) const;
  // True when the call has no attempt left: past --retries and, with a pool, every endpoint
  // failed it (or it had as many more attempts as there are endpoints).
  bool OutOfAttempts(const Call& call) const;
  void FinishIfDone(ChunkId id);
  int AcquireSlot();
  void ReleaseSlot(int slot);
  int WaitMillis(std::chrono::steady_clock::time_point deadline) const;

  const EngineOptions options_;
  const LabelReader reader_;
  const LabelSet labels_;
  const Clock& clock_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<EndpointPool> pool_;  // null for a single endpoint
  ConcurrencyLimiter limiter_;
  Backoff backoff_;
  std::map<ChunkId, std::unique_ptr<ChunkTracker>> chunks_;  // by id = submission order
  std::multimap<int64_t, Call> retries_;                      // by due time (ms)
  std::deque<Slot> slots_;  // every slot used so far; a deque: the transport borrows call bytes
  std::vector<int> free_slots_;                               // slots not in flight
  std::vector<FinishedChunk> finished_;
  std::vector<ChunkId> canary_passed_;
  ChunkId next_id_ = 1;
  int in_flight_ = 0;
};

}  // namespace sieve
