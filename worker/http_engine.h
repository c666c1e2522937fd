// HttpEngine: turns the rows of chunks into HTTP requests on one libcurl multi handle and comes
// back with a label or a precise error for every row.
//
// Model: Submit() queues chunks; Poll() drives the transfers (libcurl multi, socket-action
// interface on epoll: see curl_multi_loop.h) for a bounded time and returns
// the chunks that finished. All submitted chunks share one concurrency limit (fixed, or AIMD
// when options.adaptive); rows of earlier chunks are sent first, so chunks finish in about the
// order they came. A worker's event loop calls Poll() with a timeout of ~100 ms and does its
// heartbeats between calls; another thread may call Wakeup() to cut a Poll short.
// LabelRows() is the one-chunk convenience on top.
//
// Per row: at most 1 + options.retries attempts. Connect errors, resets, timeouts, truncated
// answers, 5xx and 429 are retried after exponential backoff with full jitter (at least the
// server's Retry-After), while the chunk's retry budget lasts; 4xx and malformed answers are
// final. Once the budget is spent and the endpoint keeps failing, the chunk's unsent rows fail
// without being sent (fail fast). Request headers given in the options are never logged.
//
// Thread-safety: NOT thread-safe. One thread drives the engine (every method but Wakeup);
// Wakeup() may be called from any thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/cancel_token.h"
#include "common/clock.h"
#include "worker/concurrency_limiter.h"
#include "worker/curl_multi_loop.h"
#include "worker/engine_options.h"
#include "worker/label_reader.h"
#include "worker/retry_policy.h"
#include "worker/row_batch.h"

namespace sieve {

class ChunkTracker;
class Transfer;
struct Call;
struct AttemptOutcome;

class HttpEngine {
 public:
  using ChunkId = uint64_t;
  struct FinishedChunk {
    ChunkId id = 0;
    ChunkLabels labels;
  };

  // Fails with InvalidArgument on unusable options (see ValidateEngineOptions, --label-field),
  // Internal when libcurl cannot be set up. `clock` times retries and chunk durations; it must
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
  Result<ChunkId> Submit(std::shared_ptr<const RowBatch> batch);

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

 private:
  HttpEngine(EngineOptions options, LabelReader reader, const Clock& clock,
             std::unique_ptr<CurlMultiLoop> loop);
  void InitHeaders();

  void StartCalls();
  bool BudgetAvailable() const;  // the worker-wide budget allows one more request
  bool NextCall(Call* call);
  void StartCall(Call call);
  int DrainCompletions();  // returns the number of transfers finished
  void Complete(Transfer* transfer, CURLcode code);
  void ResolveCall(Transfer& transfer, const AttemptOutcome& outcome, ChunkTracker& chunk);
  void Retry(Call call, const AttemptOutcome& outcome, ChunkTracker& chunk);
  void FailCall(const Call& call, const std::string& reason, ChunkTracker& chunk);
  void FinishIfDone(ChunkId id);
  Transfer* AcquireTransfer();
  void ReleaseTransfer(Transfer* transfer);
  int WaitMillis(std::chrono::steady_clock::time_point deadline) const;

  const EngineOptions options_;
  const LabelReader reader_;
  const Clock& clock_;
  std::unique_ptr<CurlMultiLoop> loop_;
  std::vector<std::string> base_headers_;
  ConcurrencyLimiter limiter_;
  Backoff backoff_;
  std::map<ChunkId, std::unique_ptr<ChunkTracker>> chunks_;  // by id = submission order
  std::multimap<int64_t, Call> retries_;                      // by due time (ms)
  std::vector<std::unique_ptr<Transfer>> transfers_;          // every handle made so far
  std::vector<Transfer*> idle_;                               // handles not in flight
  std::vector<FinishedChunk> finished_;
  ChunkId next_id_ = 1;
  int in_flight_ = 0;
};

}  // namespace sieve
