// DESIGN: the engine's event loop.
//
// One thread, one curl multi handle. Each Poll iteration:
//   1. StartCalls: while fewer than limiter_.limit() requests are in flight, take the next call
//      (a retry whose backoff has expired first, else fresh rows of the oldest chunk) and add
//      a pooled easy handle for it to the multi handle.
//   2. Run curl's due timers (CurlMultiLoop), then DrainCompletions: classify each finished
//      transfer, resolve its rows (label, error) or queue it in retries_ at now + backoff, and
//      move chunks whose rows are all resolved to finished_.
//   3. Return if a chunk finished, the deadline passed or Wakeup() was called; loop at once if
//      a transfer finished (its slot can take the next call); otherwise wait in epoll
//      (CurlMultiLoop::Wait) for socket activity, curl's next timer, the next retry's due time
//      or the deadline, whichever comes first.
// Invariants: in_flight_ == number of active transfers <= max(limit) at start time; every call
// is in exactly one place (a transfer, retries_, or resolved); a chunk's tracker lives until
// all its rows are resolved, so completions always find their chunk unless it was cancelled
// (then they are dropped).
#include "worker/http_engine.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "worker/attempt_outcome.h"
#include "worker/chunk_tracker.h"
#include "worker/curl_transfer.h"

namespace sieve {
namespace {

bool HasHeader(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const std::string& header) {
    return header.size() > name.size() && header[name.size()] == ':' &&
           std::equal(name.begin(), name.end(), header.begin(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  });
}

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
  static std::once_flag curl_global;
  std::call_once(curl_global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Result<std::unique_ptr<CurlMultiLoop>> loop = CurlMultiLoop::Create(options.concurrency);
  if (!loop.ok()) return loop.status();
  std::unique_ptr<HttpEngine> engine(new HttpEngine(
      std::move(options), std::move(reader).value(), clock, std::move(loop).value()));
  engine->InitHeaders();
  return engine;
}

HttpEngine::HttpEngine(EngineOptions options, LabelReader reader, const Clock& clock,
                       std::unique_ptr<CurlMultiLoop> loop)
    : options_(std::move(options)),
      reader_(std::move(reader)),
      clock_(clock),
      loop_(std::move(loop)),
      limiter_(options_.concurrency, options_.adaptive, options_.min_concurrency),
      backoff_(options_.backoff, SeedOrRandom(options_.seed)) {}

void HttpEngine::InitHeaders() {
  if (!HasHeader(options_.headers, "Content-Type")) {
    base_headers_.push_back("Content-Type: application/json");
  }
  if (!HasHeader(options_.headers, "Accept")) base_headers_.push_back("Accept: application/json");
  base_headers_.push_back("Expect:");  // no "Expect: 100-continue" round trip for large bodies
  base_headers_.insert(base_headers_.end(), options_.headers.begin(), options_.headers.end());
}

HttpEngine::~HttpEngine() {
  for (const auto& transfer : transfers_) {
    if (!transfer->active) continue;
    loop_->Remove(transfer->easy());
    if (options_.shared_budget != nullptr) options_.shared_budget->Release();
  }
  transfers_.clear();
  loop_.reset();
}

Result<HttpEngine::ChunkId> HttpEngine::Submit(std::shared_ptr<const RowBatch> batch) {
  const ChunkId id = next_id_;
  Result<std::unique_ptr<ChunkTracker>> tracker =
      ChunkTracker::Create(id, std::move(batch), options_, clock_.NowMs());
  if (!tracker.ok()) return tracker.status();
  ++next_id_;
  chunks_.emplace(id, std::move(tracker).value());
  FinishIfDone(id);  // an empty chunk is done at once
  return id;
}

Status HttpEngine::Cancel(ChunkId id) {
  if (chunks_.erase(id) == 0) return Status::NotFound("no pending chunk " + std::to_string(id));
  for (const auto& transfer : transfers_) {
    if (transfer->active && transfer->call().chunk == id) {
      loop_->Remove(transfer->easy());
      ReleaseTransfer(transfer.get());
    }
  }
  std::erase_if(retries_, [id](const auto& entry) { return entry.second.chunk == id; });
  return Status::Ok();
}

void HttpEngine::Wakeup() { loop_->Wakeup(); }

std::vector<HttpEngine::FinishedChunk> HttpEngine::Poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    StartCalls();
    loop_->RunDueTimers();
    const int completed = DrainCompletions();
    if (!finished_.empty() || loop_->TakeWakeup()) break;
    if (completed > 0) continue;  // start the next calls at once, before any waiting
    const int wait_ms = WaitMillis(deadline);
    if (wait_ms < 0) break;
    loop_->Wait(wait_ms);
  }
  return std::exchange(finished_, {});
}

// Milliseconds to wait for activity: until the deadline, the next retry's due time or curl's
// next timer, whichever is first; -1 when the deadline has passed.
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
  const int curl_timer = loop_->TimerMillis();
  if (curl_timer >= 0) wait = std::min(wait, milliseconds(curl_timer));
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
  while (in_flight_ < limiter_.limit() && BudgetAvailable() && NextCall(&call)) {
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
  Transfer* transfer = AcquireTransfer();
  Status loaded = transfer == nullptr
                      ? Status::Internal("cannot make a curl handle")
                      : transfer->Load(std::move(call), base_headers_, limiter_.epoch());
  if (loaded.ok()) loaded = loop_->Add(transfer->easy());
  if (loaded.ok()) {
    transfer->active = true;
    ++in_flight_;
    if (options_.shared_budget != nullptr) options_.shared_budget->Acquire();
    return;
  }
  // Only when libcurl is out of memory: the rows fail rather than vanish.
  const Call& failed = transfer != nullptr ? transfer->call() : call;
  const std::string reason = "not sent: " + loaded.message();
  auto chunk = chunks_.find(failed.chunk);
  if (chunk != chunks_.end()) {
    FailCall(failed, reason, *chunk->second);
    FinishIfDone(failed.chunk);
  }
  if (transfer != nullptr) idle_.push_back(transfer);
}

Transfer* HttpEngine::AcquireTransfer() {
  if (!idle_.empty()) {
    Transfer* transfer = idle_.back();
    idle_.pop_back();
    return transfer;
  }
  Result<std::unique_ptr<Transfer>> made = Transfer::Create(options_);
  if (!made.ok()) return nullptr;
  transfers_.push_back(std::move(made).value());
  return transfers_.back().get();
}

void HttpEngine::ReleaseTransfer(Transfer* transfer) {
  transfer->active = false;
  --in_flight_;
  if (options_.shared_budget != nullptr) options_.shared_budget->Release();
  idle_.push_back(transfer);
}

int HttpEngine::DrainCompletions() {
  int completed = 0;
  while (CURLMsg* msg = loop_->NextDone()) {
    void* user = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &user);
    const CURLcode code = msg->data.result;  // msg is invalid after the handle is removed
    loop_->Remove(msg->easy_handle);
    Complete(static_cast<Transfer*>(user), code);
    ++completed;
  }
  return completed;
}

void HttpEngine::Complete(Transfer* transfer, CURLcode code) {
  const AttemptOutcome outcome = ClassifyTransfer(transfer->Report(code));
  Call& call = transfer->call();
  ++call.attempts;
  auto chunk = chunks_.find(call.chunk);
  if (chunk != chunks_.end()) {
    chunk->second->RecordAttempt(outcome, transfer->Duration());
    if (outcome.congestion) limiter_.OnCongestion(transfer->epoch());
    ResolveCall(*transfer, outcome, *chunk->second);
    FinishIfDone(chunk->first);
  }
  ReleaseTransfer(transfer);
}

// Labels, retries or fails the rows of a finished attempt.
void HttpEngine::ResolveCall(Transfer& transfer, const AttemptOutcome& outcome,
                             ChunkTracker& chunk) {
  Call& call = transfer.call();
  if (outcome.kind == AttemptClass::kRetryable) return Retry(std::move(call), outcome, chunk);
  if (outcome.kind == AttemptClass::kFatal) {
    return FailCall(call, FinalReason(outcome, call.attempts), chunk);
  }
  limiter_.OnSuccess();
  if (options_.batch_size <= 1) {
    Result<std::string> label = reader_.ReadOne(transfer.response());
    if (label.ok()) return chunk.Succeed(call.rows.front(), std::move(label).value());
    return FailCall(call, label.status().message(), chunk);
  }
  auto labels = reader_.ReadBatch(transfer.response(), call.rows.size());
  if (!labels.ok()) return FailCall(call, labels.status().message(), chunk);
  for (size_t i = 0; i < call.rows.size(); ++i) {
    Result<std::string>& label = (*labels)[i];
    if (label.ok()) {
      chunk.Succeed(call.rows[i], std::move(label).value());
    } else {
      chunk.Fail(call.rows[i], label.status().message());
    }
  }
}

void HttpEngine::Retry(Call call, const AttemptOutcome& outcome, ChunkTracker& chunk) {
  if (call.attempts > options_.retries) {
    return FailCall(call, FinalReason(outcome, call.attempts), chunk);
  }
  if (!chunk.TryConsumeRetry()) {
    return FailCall(call,
                    FinalReason(outcome, call.attempts) + "; the chunk's retry budget is spent",
                    chunk);
  }
  const auto delay = backoff_.Delay(call.attempts, outcome.retry_after);
  retries_.emplace(clock_.NowMs() + delay.count(), std::move(call));
}

void HttpEngine::FailCall(const Call& call, const std::string& reason, ChunkTracker& chunk) {
  for (uint32_t row : call.rows) chunk.Fail(row, reason);
}

void HttpEngine::FinishIfDone(ChunkId id) {
  auto it = chunks_.find(id);
  if (it == chunks_.end() || !it->second->done()) return;
  finished_.push_back(FinishedChunk{id, it->second->TakeResult(clock_.NowMs())});
  chunks_.erase(it);
}

}  // namespace sieve
