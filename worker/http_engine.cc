// DESIGN: the engine's event loop.
//
// One thread, one transport (http_transport.h). Each Poll iteration:
//   1. StartCalls: while fewer than limiter_.limit() requests are in flight, take the next call
//      (a retry whose backoff has expired first, else fresh rows of the oldest chunk) and start
//      it on a free slot of the transport.
//   2. Run the transport's due timers, then DrainCompletions: classify each finished
//      transfer, resolve its rows (label, error) or queue it in retries_ at now + backoff, and
//      move chunks whose rows are all resolved to finished_.
//   3. Return if a chunk finished, the deadline passed or Wakeup() was called; loop at once if
//      a transfer finished (its slot can take the next call); otherwise wait in epoll
//      (HttpTransport::Wait) for socket activity, the transport's next timer, the next retry's
//      due time or the deadline, whichever comes first.
// Invariants: in_flight_ == number of active slots <= max(limit) at start time; every call
// is in exactly one place (an active slot, retries_, or resolved); a chunk's tracker lives until
// all its rows are resolved, so completions always find their chunk unless it was cancelled
// (then they are dropped).
#include "worker/http_engine.h"

#include <algorithm>
#include <random>

#include "worker/attempt_outcome.h"
#include "worker/chunk_tracker.h"
#include "worker/http_header.h"

namespace sieve {
namespace {

uint64_t SeedOrRandom(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Result<std::unique_ptr<HttpEngine>> HttpEngine::Create(EngineOptions options,
                                                       const Clock& clock) {
  SIEVE_RETURN_IF_ERROR(ValidateEngineOptions(options));
  Result<LabelReader> reader = LabelReader::Create(options.label_field);
  if (!reader.ok()) return reader.status();
  std::unique_ptr<HttpEngine> engine(
      new HttpEngine(std::move(options), std::move(reader).value(), clock));
  // The transport borrows engine->options_, which lives as long as the engine.
  Result<std::unique_ptr<HttpTransport>> transport =
      CreateTransport(engine->options_, engine->BaseHeaders());
  if (!transport.ok()) return transport.status();
  engine->transport_ = std::move(transport).value();
  return engine;
}

HttpEngine::HttpEngine(EngineOptions options, LabelReader reader, const Clock& clock)
    : options_(std::move(options)),
      reader_(std::move(reader)),
      labels_(options_.labels),
      clock_(clock),
      limiter_(options_.concurrency, options_.adaptive, options_.min_concurrency),
      backoff_(options_.backoff, SeedOrRandom(options_.seed)) {
  if (options_.endpoints.size() >= 2) {
    pool_ = std::make_unique<EndpointPool>(options_.endpoints, options_.pool, clock_);
  }
}

std::vector<std::string> HttpEngine::BaseHeaders() const {
  std::vector<std::string> headers;
  if (!HasHeader(options_.headers, "Content-Type")) {
    headers.push_back("Content-Type: application/json");
  }
  if (!HasHeader(options_.headers, "Accept")) headers.push_back("Accept: application/json");
  headers.push_back("Expect:");  // no "Expect: 100-continue" round trip for large bodies
  headers.insert(headers.end(), options_.headers.begin(), options_.headers.end());
  return headers;
}

HttpEngine::~HttpEngine() {
  for (Slot& slot : slots_) {
    if (slot.active && options_.shared_budget != nullptr) options_.shared_budget->Release();
  }
  transport_.reset();  // aborts whatever is still in flight
}

Result<HttpEngine::ChunkId> HttpEngine::Submit(std::shared_ptr<const RowBatch> batch,
                                               bool canary) {
  const ChunkId id = next_id_;
  Result<std::unique_ptr<ChunkTracker>> tracker =
      ChunkTracker::Create(id, std::move(batch), options_, clock_.NowMs(), canary);
  if (!tracker.ok()) return tracker.status();
  ++next_id_;
  chunks_.emplace(id, std::move(tracker).value());
  FinishIfDone(id);  // an empty chunk is done at once
  return id;
}

Status HttpEngine::Cancel(ChunkId id) {
  if (chunks_.erase(id) == 0) return Status::NotFound("no pending chunk " + std::to_string(id));
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].active && slots_[slot].call.chunk == id) {
      transport_->Abort(static_cast<int>(slot));
      if (pool_ != nullptr) pool_->Forget(slots_[slot].endpoint);
      ReleaseSlot(static_cast<int>(slot));
    }
  }
  std::erase_if(retries_, [id](const auto& entry) { return entry.second.chunk == id; });
  return Status::Ok();
}

void HttpEngine::Wakeup() { transport_->Wakeup(); }

std::vector<HttpEngine::FinishedChunk> HttpEngine::Poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    StartCalls();
    transport_->RunDueTimers();
    const int completed = DrainCompletions();
    if (!finished_.empty() || transport_->TakeWakeup()) break;
    if (completed > 0) continue;  // start the next calls at once, before any waiting
    const int wait_ms = WaitMillis(deadline);
    if (wait_ms < 0) break;
    transport_->Wait(wait_ms);
  }
  return std::exchange(finished_, {});
}

// Milliseconds to wait for activity: until the deadline, the next retry's due time or the
// transport's next timer, whichever is first; -1 when the deadline has passed.
int HttpEngine::WaitMillis(std::chrono::steady_clock::time_point deadline) const {
  using std::chrono::ceil;
  using std::chrono::milliseconds;
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline) return -1;
  milliseconds wait = ceil<milliseconds>(deadline - now);
  if (!retries_.empty()) {
    const milliseconds due(retries_.begin()->first - clock_.NowMs());
    wait = std::clamp(due, milliseconds(0), wait);
  }
  const int transport_timer = transport_->TimerMillis();
  if (transport_timer >= 0) wait = std::min(wait, milliseconds(transport_timer));
  return static_cast<int>(wait.count());
}

Result<ChunkLabels> HttpEngine::LabelRows(const RowBatch& batch, const CancelToken& cancel) {
  if (!chunks_.empty()) return Status::Internal("LabelRows needs an idle engine");
  // The engine borrows `batch` for this call only: a non-owning shared_ptr.
  Result<ChunkId> id = Submit(std::shared_ptr<const RowBatch>(std::shared_ptr<void>(), &batch));
  if (!id.ok()) return id.status();
  for (;;) {
    if (cancel.cancelled()) {
      (void)Cancel(*id);
      return Status::Cancelled("labelling cancelled");
    }
    std::vector<FinishedChunk> done = Poll(std::chrono::milliseconds(100));
    if (!done.empty()) return std::move(done.front().labels);
  }
}

void HttpEngine::StartCalls() {
  Call call;
  // A rate-limited job's gate is asked before a call is taken (it may ask the broker for more
  // permits); a permit is spent only for a call that starts.
  while (in_flight_ < limiter_.limit() && BudgetAvailable() &&
         (options_.gate == nullptr || options_.gate->Ready()) && NextCall(&call)) {
    if (options_.gate != nullptr) options_.gate->Take();
    StartCall(std::move(call));
  }
}

bool HttpEngine::BudgetAvailable() const {
  return options_.shared_budget == nullptr || options_.shared_budget->available();
}

bool HttpEngine::NextCall(Call* call) {
  if (!retries_.empty() && retries_.begin()->first <= clock_.NowMs()) {
    *call = std::move(retries_.begin()->second);
    retries_.erase(retries_.begin());
    return true;
  }
  for (auto it = chunks_.begin(); it != chunks_.end();) {
    ChunkTracker& chunk = *it->second;
    const ChunkId id = it->first;
    ++it;  // FinishIfDone may erase the current chunk
    if (chunk.ShouldFailFast()) chunk.FailUnsent();
    std::optional<Call> next = chunk.NextCall();
    FinishIfDone(id);
    if (next.has_value()) {
      *call = std::move(*next);
      return true;
    }
  }
  return false;
}

void HttpEngine::StartCall(Call call) {
  const int slot = AcquireSlot();
  Slot& started = slots_[slot];
  started.call = std::move(call);
  started.epoch = limiter_.epoch();
  started.active = true;
  started.endpoint = pool_ != nullptr ? pool_->Pick(started.call.failed_endpoints) : 0;
  started.call.endpoint = started.endpoint;
  ++in_flight_;
  if (options_.shared_budget != nullptr) options_.shared_budget->Acquire();
  const Status sent = transport_->StartOn(started.endpoint, slot, started.call.body,
                                          started.call.idempotency_key);
  if (sent.ok()) return;
  if (pool_ != nullptr) pool_->Forget(started.endpoint);
  // Only when out of memory or descriptors: the rows fail rather than vanish.
  auto chunk = chunks_.find(started.call.chunk);
  if (chunk != chunks_.end()) {
    FailCall(started.call, "not sent: " + sent.message(), *chunk->second);
    FinishIfDone(started.call.chunk);
  }
  ReleaseSlot(slot);
}

int HttpEngine::AcquireSlot() {
  if (free_slots_.empty()) {
    slots_.emplace_back();
    return static_cast<int>(slots_.size() - 1);
  }
  const int slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void HttpEngine::ReleaseSlot(int slot) {
  slots_[slot].active = false;
  --in_flight_;
  if (options_.shared_budget != nullptr) options_.shared_budget->Release();
  free_slots_.push_back(slot);
}

int HttpEngine::DrainCompletions() {
  int completed = 0;
  for (int slot = transport_->NextDone(); slot >= 0; slot = transport_->NextDone()) {
    Complete(slot);
    ++completed;
  }
  return completed;
}

void HttpEngine::Complete(int slot) {
  TransferReport report = transport_->Report(slot);
  report.timeout = options_.timeout;  // for the reasons' wording
  report.connect_timeout = options_.connect_timeout;
  report.max_response_bytes = options_.max_response_bytes;
  const AttemptOutcome outcome = ClassifyTransfer(report);
  if (options_.gate != nullptr) ReportQuota(report);
  Call& call = slots_[slot].call;
  ++call.attempts;
  if (pool_ != nullptr) ReportToPool(slots_[slot].endpoint, outcome, report.duration);
  auto chunk = chunks_.find(call.chunk);
  if (chunk != chunks_.end()) {
    chunk->second->RecordAttempt(outcome, report.duration);
    if (pool_ != nullptr) {
      chunk->second->RecordEndpointAttempt(pool_->name(slots_[slot].endpoint),
                                           outcome.http_status, report.duration);
    }
    if (outcome.congestion) limiter_.OnCongestion(slots_[slot].epoch);
    ResolveCall(call, report.body, outcome, *chunk->second);
    if (chunk->second->TakeCanaryPassed()) canary_passed_.push_back(chunk->first);
    FinishIfDone(chunk->first);
  }
  ReleaseSlot(slot);
}

// A 429 (or 503 with Retry-After), or an answer whose x-ratelimit-remaining-requests is 0,
// tells the gate: the broker pauses the job's key for every worker.
void HttpEngine::ReportQuota(const TransferReport& report) {
  const bool limited = report.http_status == 429 ||
                       (report.http_status == 503 && report.retry_after_seconds > 0);
  if (!limited && report.ratelimit_remaining != 0) return;
  RateLimitSignal signal;
  signal.http_status = limited ? static_cast<int>(report.http_status) : 0;
  signal.retry_after_ms = report.retry_after_seconds * 1000;
  if (report.ratelimit_remaining >= 0) {
    signal.remaining_requests = static_cast<uint64_t>(report.ratelimit_remaining);
  }
  signal.reset_requests_ms = report.ratelimit_reset_ms;
  options_.gate->OnRateLimited(signal);
}

// Labels, retries or fails the rows of a finished attempt.
void HttpEngine::ResolveCall(Call& call, std::string_view response,
                             const AttemptOutcome& outcome, ChunkTracker& chunk) {
  if (outcome.kind == AttemptClass::kRetryable) return Retry(std::move(call), outcome, chunk);
  if (outcome.kind == AttemptClass::kFatal) {
    FailureSignature signature;  // local failures (too large, ...) stay kOther
    if (outcome.endpoint_wide) signature.kind = FailureSignature::Kind::kTlsTrust;
    if (outcome.http_status != 0) signature = FailureSignature::Http(outcome.http_status);
    return FailCall(call, FinalPoolReason(call, outcome), chunk, signature);
  }
  limiter_.OnSuccess();
  TokenUsage usage;
  std::vector<Result<std::string>> answers;
  if (options_.batch_size <= 1) {
    answers.push_back(reader_.ReadOne(response, &usage));
  } else {
    auto labels = reader_.ReadBatch(response, call.rows.size(), &usage);
    if (!labels.ok()) {
      chunk.CountUsage(usage.prompt, usage.completion);
      return FailCall(call, labels.status().message(), chunk,
                      {FailureSignature::Kind::kBadAnswer, 0});
    }
    answers = std::move(labels).value();
  }
  chunk.CountUsage(usage.prompt, usage.completion);
  if (options_.gate != nullptr && usage.prompt + usage.completion > 0) {
    options_.gate->OnUsage(usage.prompt + usage.completion);
  }
  AcceptAnswers(call, std::move(answers), chunk);
}

void HttpEngine::AcceptAnswers(Call& call, std::vector<Result<std::string>> answers,
                               ChunkTracker& chunk) {
  std::vector<uint32_t> invalid_rows;
  for (size_t i = 0; i < call.rows.size(); ++i) {
    Result<std::string>& answer = answers[i];
    if (!answer.ok()) {
      chunk.Fail(call.rows[i], answer.status().message(), {FailureSignature::Kind::kBadAnswer, 0});
      continue;
    }
    if (labels_.empty()) {
      chunk.Succeed(call.rows[i], std::move(answer).value());
      continue;
    }
    std::optional<std::string> label = labels_.Normalise(*answer);
    if (label) {
      chunk.Succeed(call.rows[i], std::move(*label));
      continue;
    }
    chunk.CountInvalidAnswer();
    if (call.reasks < options_.invalid_retries) {
      invalid_rows.push_back(call.rows[i]);
    } else {
      chunk.FailInvalid(call.rows[i], *answer);
    }
  }
  if (invalid_rows.empty()) return;
  std::optional<Call> again = chunk.ReaskCall(invalid_rows, call.reasks + 1);
  if (again) retries_.emplace(clock_.NowMs(), std::move(*again));
}

void HttpEngine::Retry(Call call, const AttemptOutcome& outcome, ChunkTracker& chunk) {
  if (pool_ != nullptr) call.failed_endpoints |= uint64_t{1} << call.endpoint;
  const FailureSignature transient{FailureSignature::Kind::kTransient, outcome.http_status};
  // While every endpoint of a pool rests (a pool-wide outage) a row is not failed for its
  // attempts: it retries with backoff until the chunk's retry budget is spent, and the
  // worker then labels the chunk again later (worker_node.h), as for one endpoint that is down.
  const bool pool_down = pool_ != nullptr && !pool_->AnyAvailable(0);
  if (OutOfAttempts(call) && chunk.CanaryPatient(clock_.NowMs())) {
    // A canary's probe row is not given up on a transient failure: the endpoint (or every
    // endpoint of the pool) may be starting (canary_probe.h). Backoff as for the last retries,
    // within the probe's patience.
    const auto delay = backoff_.Delay(std::min(call.attempts, 8), outcome.retry_after);
    retries_.emplace(clock_.NowMs() + delay.count(), std::move(call));
    return;
  }
  if (OutOfAttempts(call) && !pool_down) {
    return FailCall(call, FinalPoolReason(call, outcome), chunk, transient);
  }
  if (!chunk.TryConsumeRetry()) {
    return FailCall(call, FinalPoolReason(call, outcome) + "; the chunk's retry budget is spent",
                    chunk, transient);
  }
  // With a pool, a retry goes at once to another endpoint while one is healthy; backoff
  // (and Retry-After) paces retries only when there is nowhere else to go.
  const bool elsewhere = pool_ != nullptr && pool_->AnyAvailable(call.failed_endpoints);
  const auto delay =
      elsewhere ? std::chrono::milliseconds(0) : backoff_.Delay(call.attempts, outcome.retry_after);
  retries_.emplace(clock_.NowMs() + delay.count(), std::move(call));
}

bool HttpEngine::OutOfAttempts(const Call& call) const {
  if (call.attempts <= options_.retries) return false;
  if (pool_ == nullptr) return true;
  return (call.failed_endpoints & pool_->all_mask()) == pool_->all_mask() ||
         call.attempts > options_.retries + static_cast<int>(pool_->size());
}

std::string HttpEngine::FinalPoolReason(const Call& call, const AttemptOutcome& outcome) const {
  std::string reason = FinalReason(outcome, call.attempts);
  if (pool_ == nullptr) return reason;
  const uint64_t mask = call.failed_endpoints | (uint64_t{1} << call.endpoint);
  return reason + ((mask & pool_->all_mask()) == pool_->all_mask() ? " (every endpoint: "
                                                                    : " (endpoints: ") +
         pool_->Names(mask) + ")";
}

void HttpEngine::ReportToPool(int endpoint, const AttemptOutcome& outcome,
                              std::chrono::microseconds duration) {
  using Answer = EndpointPool::Answer;
  Answer answer = Answer::kNeutral;
  if (outcome.kind == AttemptClass::kSuccess) {
    answer = Answer::kSuccess;
  } else if (outcome.http_status == 429 ||
             (outcome.http_status == 503 && outcome.retry_after.count() > 0)) {
    answer = Answer::kRateLimited;
  } else if (outcome.kind == AttemptClass::kRetryable || outcome.http_status == 0) {
    answer = Answer::kFailure;
  }
  pool_->Finish(endpoint, answer, duration, outcome.retry_after);
}

void HttpEngine::FailCall(const Call& call, const std::string& reason, ChunkTracker& chunk,
                          FailureSignature signature) {
  for (uint32_t row : call.rows) chunk.Fail(row, reason, signature);
}

void HttpEngine::FinishIfDone(ChunkId id) {
  auto it = chunks_.find(id);
  if (it == chunks_.end() || !it->second->done()) return;
  finished_.push_back(FinishedChunk{id, it->second->TakeResult(clock_.NowMs())});
  chunks_.erase(it);
}

}  // namespace sieve
