#include "worker/chunk_tracker.h"

#include <algorithm>

#include "worker/label_set.h"

namespace sieve {

Result<std::unique_ptr<ChunkTracker>> ChunkTracker::Create(uint64_t id,
                                                           std::shared_ptr<const RowBatch> batch,
                                                           const EngineOptions& options,
                                                           int64_t now_ms, bool canary) {
  for (char c : batch->job_id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("job id holds a control character");
    }
  }
  Result<RowEncoder> encoder = RowEncoder::Create(batch->header, options.fields);
  if (!encoder.ok()) return encoder.status();
  std::optional<BodyTemplate> body_template;
  if (!options.body_template.empty()) {
    Result<BodyTemplate> compiled = BodyTemplate::Compile(options.body_template, batch->header);
    if (!compiled.ok()) return compiled.status();
    body_template = std::move(compiled).value();
  }
  std::unique_ptr<ChunkTracker> tracker(new ChunkTracker(id, std::move(batch),
                                                         std::move(encoder).value(),
                                                         std::move(body_template), options, now_ms));
  if (canary) tracker->canary_.emplace(tracker->rows(), now_ms);
  return tracker;
}

ChunkTracker::ChunkTracker(uint64_t id, std::shared_ptr<const RowBatch> batch,
                           RowEncoder encoder, std::optional<BodyTemplate> body_template,
                           const EngineOptions& options, int64_t now_ms)
    : id_(id),
      batch_(std::move(batch)),
      encoder_(std::move(encoder)),
      body_template_(std::move(body_template)),
      options_(options),
      started_ms_(now_ms),
      budget_(batch_->rows.size(), options.retry_budget_ratio, options.retry_budget_min),
      resolved_rows_(batch_->rows.size(), false) {
  result_.labels.resize(rows());
}

std::optional<Call> ChunkTracker::NextCall() {
  const bool batched = options_.batch_size > 1;
  Call call;
  call.chunk = id_;
  if (batched) call.body.push_back('[');
  const size_t limit = SendLimit();
  while (next_row_ < limit && call.rows.size() < static_cast<size_t>(options_.batch_size)) {
    const auto row = static_cast<uint32_t>(next_row_++);
    const size_t mark = call.body.size();
    if (batched && !call.rows.empty()) call.body.push_back(',');
    Status encoded = AppendBody(row, &call.body);
    if (!encoded.ok()) {
      call.body.resize(mark);
      ++result_.counters.rows_not_sent;
      Fail(row, "not sent: " + encoded.message());
      continue;
    }
    call.rows.push_back(row);
  }
  if (call.rows.empty()) return std::nullopt;
  if (batched) call.body.push_back(']');
  call.idempotency_key = IdempotencyKey(call.rows);
  return call;
}

std::optional<Call> ChunkTracker::ReaskCall(const std::vector<uint32_t>& rows, int reasks) {
  const bool batched = options_.batch_size > 1;
  Call call;
  call.chunk = id_;
  call.reasks = reasks;
  if (batched) call.body.push_back('[');
  for (uint32_t row : rows) {
    const size_t mark = call.body.size();
    if (batched && !call.rows.empty()) call.body.push_back(',');
    if (!AppendBody(row, &call.body).ok()) {  // it rendered the first time: cannot happen
      call.body.resize(mark);
      Fail(row, "not sent again: the row no longer renders");
      continue;
    }
    call.rows.push_back(row);
  }
  if (call.rows.empty()) return std::nullopt;
  if (batched) call.body.push_back(']');
  call.idempotency_key = IdempotencyKey(call.rows) + "/reask-" + std::to_string(reasks);
  return call;
}

void ChunkTracker::CountUsage(uint64_t prompt_tokens, uint64_t completion_tokens) {
  result_.counters.prompt_tokens += prompt_tokens;
  result_.counters.completion_tokens += completion_tokens;
}

void ChunkTracker::FailInvalid(uint32_t row, std::string_view answer) {
  if (resolved_rows_[row]) return;
  ++result_.counters.rows_invalid;
  Fail(row, InvalidAnswerReason(answer), {FailureSignature::Kind::kInvalidLabel, 0});
}

Status ChunkTracker::AppendBody(uint32_t row, std::string* out) const {
  if (body_template_) return body_template_->Append(batch_->rows[row], out);
  if (row < batch_->bodies.size()) {  // JSON Lines: the row's own object
    out->append(batch_->bodies[row]);
    return Status::Ok();
  }
  return encoder_.AppendObject(batch_->rows[row], out);
}

std::string ChunkTracker::IdempotencyKey(const std::vector<uint32_t>& rows) const {
  auto id = [&](uint32_t row) {
    return row < batch_->row_ids.size() ? batch_->row_ids[row] : row;
  };
  std::string key = batch_->job_id + "/" + std::to_string(batch_->chunk_index) + "/" +
                    std::to_string(id(rows.front()));
  if (rows.size() > 1) key += "-" + std::to_string(id(rows.back()));
  return key;
}

void ChunkTracker::Succeed(uint32_t row, std::string label) {
  if (resolved_rows_[row]) return;
  resolved_rows_[row] = true;
  ++resolved_;
  ++result_.counters.rows_ok;
  result_.labels[row] = std::move(label);
  if (canary_) canary_->OnLabel();
}

void ChunkTracker::Fail(uint32_t row, std::string reason, FailureSignature signature) {
  if (resolved_rows_[row]) return;
  const bool probing = canary_ && canary_->verdict() == CanaryProbe::Verdict::kPending;
  if (options_.pause_on_refusal && signature.Refusal() && !probing) {
    return Refuse(std::move(reason));
  }
  if (canary_) canary_->OnFailure(signature, reason);
  Resolve(row, std::move(reason));
  if (canary_ && canary_->verdict() == CanaryProbe::Verdict::kFailed) {
    // The canary failed: the chunk's other rows are never sent, and the chunk is not delivered.
    result_.canary_failed = true;
    result_.canary_reason = canary_->reason();
    while (next_row_ < rows()) {
      ++result_.counters.rows_not_sent;
      Resolve(static_cast<uint32_t>(next_row_++), "not sent: the job's canary failed");
    }
  }
}

void ChunkTracker::Refuse(std::string reason) {
  // The endpoint refuses the job's credentials: no row is labelled `error`. Every row is
  // resolved so the chunk finishes now (answers still in flight are ignored), and the worker
  // hands it back instead of delivering it.
  if (!result_.refused) {
    result_.refused = true;
    result_.refusal_reason = std::move(reason);
  }
  next_row_ = rows();
  for (size_t row = 0; row < rows(); ++row) {
    Resolve(static_cast<uint32_t>(row), "not labelled: the endpoint refused the job's requests");
  }
}

void ChunkTracker::Resolve(uint32_t row, std::string reason) {
  if (resolved_rows_[row]) return;
  resolved_rows_[row] = true;
  ++resolved_;
  ++result_.counters.rows_failed;
  result_.labels[row] = options_.error_label;
  result_.errors.push_back(RowError{row, std::move(reason)});
}

void ChunkTracker::RecordAttempt(const AttemptOutcome& outcome,
                                 std::chrono::microseconds duration) {
  EngineCounters& counters = result_.counters;
  ++counters.requests;
  counters.request_time += duration;
  counters.latency.Observe(duration);
  if (outcome.http_status != 0) {
    ++counters.http_status[outcome.http_status];
  } else {
    ++counters.transport_errors[outcome.transport_error];
  }
  if (outcome.endpoint_wide) {
    ++endpoint_failure_streak_;
    endpoint_failure_ = outcome.reason;
  }
  if (outcome.kind == AttemptClass::kRetryable) {
    ++failure_streak_;
    last_failure_ = outcome.reason;
  } else if (outcome.kind == AttemptClass::kSuccess) {
    failure_streak_ = 0;
    endpoint_failure_streak_ = 0;
  }
}

void ChunkTracker::RecordEndpointAttempt(const std::string& url, int http_status,
                                         std::chrono::microseconds duration) {
  EndpointCounters& counters = result_.counters.endpoints[url];
  ++counters.http_status[http_status];
  counters.latency.Observe(duration);
}

bool ChunkTracker::TryConsumeRetry() {
  if (budget_.TryConsume()) {
    ++result_.counters.retries;
    return true;
  }
  result_.counters.retry_budget_exhausted = true;
  return false;
}

bool ChunkTracker::ShouldFailFast() const {
  if (!has_unsent()) return false;
  return endpoint_failure_streak_ >= options_.fail_fast_streak ||
         (budget_.exhausted() && failure_streak_ >= options_.fail_fast_streak);
}

void ChunkTracker::FailUnsent() {
  const bool unusable = endpoint_failure_streak_ >= options_.fail_fast_streak;
  result_.counters.endpoint_unusable |= unusable;
  // The budget may have been spent to the last retry without a TryConsumeRetry refused: the
  // chunk still stopped for want of it, and says so (the worker relabels such a chunk).
  if (budget_.exhausted()) result_.counters.retry_budget_exhausted = true;
  const std::string reason =
      unusable
          ? "not sent: every request to the endpoint would fail: " + endpoint_failure_
          : "not sent: the endpoint failed " + std::to_string(failure_streak_) +
                " attempts in a row and the chunk's retry budget (" +
                std::to_string(budget_.limit()) + " retries) is spent; last error: " +
                last_failure_;
  while (next_row_ < rows()) {
    ++result_.counters.rows_not_sent;
    Fail(static_cast<uint32_t>(next_row_++), reason);
  }
}

ChunkLabels ChunkTracker::TakeResult(int64_t now_ms) {
  std::sort(result_.errors.begin(), result_.errors.end(),
            [](const RowError& a, const RowError& b) { return a.row < b.row; });
  result_.elapsed = std::chrono::milliseconds(now_ms - started_ms_);
  return std::move(result_);
}

}  // namespace sieve
