// ChunkTracker: the engine's bookkeeping for one chunk: which rows are still unsent, the label
// or error of every finished row, the chunk's retry budget and counters.
//
// Invariant: every row is in exactly one of three states: unsent (index >= next_row_), in a
// Call (sent, waiting, or queued for retry), or resolved (a label or an error). The chunk is
// done when every row is resolved.
//
// Thread-safety: not thread-safe; owned by the engine's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/body_template.h"
#include "common/status.h"
#include "worker/attempt_outcome.h"
#include "worker/canary_probe.h"
#include "worker/engine_options.h"
#include "worker/json_body.h"
#include "worker/retry_policy.h"
#include "worker/row_batch.h"

namespace sieve {

// One HTTP request: a row, or a batch of rows, with its body and the attempts made so far.
struct Call {
  uint64_t chunk = 0;
  std::vector<uint32_t> rows;
  std::string body;
  std::string idempotency_key;  // job/chunk/row, or job/chunk/first-last for a batch
  int attempts = 0;
  int reasks = 0;  // times re-sent because the answer was not one of --labels
  // With an endpoint pool (worker/endpoint_pool.h): where the last attempt went, and the bit
  // mask of the endpoints whose attempts failed, so a retry goes elsewhere.
  int endpoint = 0;
  uint64_t failed_endpoints = 0;
};

class ChunkTracker {
 public:
  // Fails with InvalidArgument when the options' --fields or --body-template do not fit the
  // batch's header (the template is compiled here, once per chunk), or the job id holds
  // control characters. Rows are borrowed from `batch`, which the tracker keeps.
  // `options` must outlive the tracker; `now_ms` is when the chunk was submitted.
  static Result<std::unique_ptr<ChunkTracker>> Create(uint64_t id,
                                                      std::shared_ptr<const RowBatch> batch,
                                                      const EngineOptions& options,
                                                      int64_t now_ms, bool canary = false);

  // The next request, built from up to batch_size unsent rows; rows that cannot be encoded
  // (invalid UTF-8) are failed on the spot. nullopt when no unsent row is left.
  std::optional<Call> NextCall();
  bool has_unsent() const { return next_row_ < rows(); }

  // A request for `rows` again (rows already sent once, whose answers were not one of
  // --labels), `reasks` times re-asked; its Idempotency-Key ends in "/reask-N" so a server
  // that caches by key answers afresh. nullopt when no row can be rendered.
  std::optional<Call> ReaskCall(const std::vector<uint32_t>& rows, int reasks);

  void Succeed(uint32_t row, std::string label);
  // `signature`: how it failed, for a canary chunk's verdict (worker/canary_probe.h).
  void Fail(uint32_t row, std::string reason, FailureSignature signature = {});

  // Canary chunks: whether a transient failure of a probe row is retried past --retries, and
  // (true once) whether the probe just passed.
  bool CanaryPatient(int64_t now_ms) const { return canary_ && canary_->Patient(now_ms); }
  bool TakeCanaryPassed() { return canary_ && canary_->TakePassed(); }
  // Counts an answer's tokens, and an answer that was not one of --labels.
  void CountUsage(uint64_t prompt_tokens, uint64_t completion_tokens);
  void CountInvalidAnswer() { ++result_.counters.answers_invalid; }
  // Fails `row` because its last answer was not one of --labels.
  void FailInvalid(uint32_t row, std::string_view answer);

  // Counts one finished attempt and keeps the streak of retryable failures.
  void RecordAttempt(const AttemptOutcome& outcome, std::chrono::microseconds duration);
  // Counts one attempt of an endpoint pool's member `url` (EngineCounters::endpoints).
  void RecordEndpointAttempt(const std::string& url, int http_status,
                             std::chrono::microseconds duration);
  // Takes a retry from the chunk's budget; false when spent.
  bool TryConsumeRetry();
  // True when the unsent rows should not be sent: fail_fast_streak endpoint-wide failures in a
  // row (every row would fail alike: TLS trust), or the budget is spent and the endpoint failed
  // fail_fast_streak retryable attempts in a row. A success resets both streaks.
  bool ShouldFailFast() const;
  // Fails every unsent row without sending it, saying why.
  void FailUnsent();

  bool done() const { return resolved_ == rows(); }
  // REQUIRES: done(). Moves the result out.
  ChunkLabels TakeResult(int64_t now_ms);

 private:
  ChunkTracker(uint64_t id, std::shared_ptr<const RowBatch> batch, RowEncoder encoder,
               std::optional<BodyTemplate> body_template, const EngineOptions& options,
               int64_t now_ms);
  // Rows [0, SendLimit()) may be sent: all of them, or what a canary's probe allows.
  size_t SendLimit() const { return canary_ ? canary_->SendLimit() : rows(); }
  void Resolve(uint32_t row, std::string reason);  // the error label, without the canary
  // A refusal (EngineOptions::pause_on_refusal): every row is resolved unlabelled, nothing more
  // is sent, and the result says `refused`. O(rows).
  void Refuse(std::string reason);
  // Appends row's body (the template's rendering, else the object of its columns).
  Status AppendBody(uint32_t row, std::string* out) const;
  size_t rows() const { return batch_->rows.size(); }
  std::string IdempotencyKey(const std::vector<uint32_t>& rows) const;

  const uint64_t id_;
  const std::shared_ptr<const RowBatch> batch_;
  const RowEncoder encoder_;
  const std::optional<BodyTemplate> body_template_;
  const EngineOptions& options_;
  const int64_t started_ms_;
  RetryBudget budget_;
  ChunkLabels result_;
  std::vector<bool> resolved_rows_;
  size_t next_row_ = 0;
  size_t resolved_ = 0;
  int failure_streak_ = 0;
  std::string last_failure_;
  int endpoint_failure_streak_ = 0;
  std::string endpoint_failure_;  // the reason of the last endpoint-wide failure
  std::optional<CanaryProbe> canary_;  // set for a job's canary chunk
};

}  // namespace sieve
