// A held chunk's labels to its result (worker/worker_node.h, DESIGN): relabel rounds for rows
// whose answers failed (backoff, at most --max-relabels rounds, each round keeping the labels earlier
// rounds got), the chunk completed into its labelled rows, the RESULT sent to the job's
// collector and resent until RESULT_ACK, and the hand-back pause after a chunk was refused.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/zmq_io.h"
#include "worker/chunk_rows.h"
#include "worker/worker_node.h"

namespace sieve {
namespace {

constexpr int64_t kRelabelFirstMs = 1'000;
constexpr int64_t kRelabelMaxMs = 30'000;
constexpr int64_t kHandbackPauseFirstMs = 5'000;
constexpr int64_t kHandbackPauseMaxMs = 60'000;

// Keeps, for every row, a label some round got: a row fails only if it failed every round.
void MergeEarlierRound(const ChunkLabels& earlier, ChunkLabels& latest) {
  std::vector<RowError> still_failing;
  size_t e = 0;
  for (const RowError& error : latest.errors) {
    while (e < earlier.errors.size() && earlier.errors[e].row < error.row) ++e;
    bool failed_before = e < earlier.errors.size() && earlier.errors[e].row == error.row;
    if (failed_before) {
      still_failing.push_back(error);
    } else if (error.row < earlier.labels.size()) {
      latest.labels[error.row] = earlier.labels[error.row];
    }
  }
  latest.errors = std::move(still_failing);
  // Every round's answers were paid for.
  latest.counters.prompt_tokens += earlier.counters.prompt_tokens;
  latest.counters.completion_tokens += earlier.counters.completion_tokens;
  latest.counters.answers_invalid += earlier.counters.answers_invalid;
}

}  // namespace

bool WorkerNode::ScheduleRelabel(const Key& key, HeldChunk& held, ChunkLabels& labels) {
  if (held.earlier) MergeEarlierRound(*held.earlier, labels);
  if (labels.errors.empty() || !labels.counters.retry_budget_exhausted ||
      held.relabels >= options_.max_relabels || draining_) {
    return false;
  }
  int64_t delay = std::min(kRelabelMaxMs, kRelabelFirstMs << std::min<uint32_t>(held.relabels, 5));
  ++held.relabels;
  held.relabel_at_ms = options_.clock->NowMs() + delay;
  spdlog::warn("job {} chunk {}: endpoint failing ({} rows failed, retry budget spent); "
               "labelling the chunk again in {} ms (round {} of {})",
               key.first, key.second, labels.errors.size(), delay, held.relabels,
               options_.max_relabels);
  held.earlier = std::move(labels);
  return true;
}

void WorkerNode::StartDueRelabels(int64_t now) {
  for (auto& [key, held] : held_) {
    if (held.labelled || held.relabel_at_ms == 0 || now < held.relabel_at_ms) continue;
    held.relabel_at_ms = 0;
    auto engine = engines_.find(key.first);
    Result<HttpEngine::ChunkId> id = engine != engines_.end()
                                         ? engine->second.engine->Submit(held.batch)
                                         : Result<HttpEngine::ChunkId>(Status::NotFound("engine"));
    if (id.ok()) {
      held.engine_id = *id;
      engine->second.last_used_ms = now;
      continue;
    }
    spdlog::error("job {} chunk {}: cannot label it again: {}", key.first, key.second,
                  id.status().ToString());
    held.relabels = options_.max_relabels;
    ChunkLabels earlier = std::move(*held.earlier);
    held.earlier.reset();
    OnChunkLabelled(key, held, std::move(earlier));
  }
}

void WorkerNode::OnChunkLabelled(const Key& key, HeldChunk& held, ChunkLabels labels) {
  if (labels.canary_failed) return DropFailedCanary(key, labels.canary_reason);  // worker_canary.cc
  if (labels.refused) return HandBackRefused(key, labels.refusal_reason);       // worker_canary.cc
  if (ScheduleRelabel(key, held, labels)) return;
  if (labels.counters.endpoint_unusable) {
    // The endpoint is unusable from here (its certificate is not trusted): another worker may
    // be set up right. Hand the chunk back (a failed attempt, so a fleet-wide problem still
    // ends as error rows after --max-attempts) instead of committing error rows.
    const Key copy = key;  // `key` lives in held_, which Release erases from
    // FailUnsent failed the chunk's tail: its last error names the endpoint-wide failure.
    const std::string reason = labels.errors.back().reason;
    const int64_t now = options_.clock->NowMs();
    handback_pause_ms_ = std::clamp<int64_t>(2 * handback_pause_ms_, kHandbackPauseFirstMs,
                                             kHandbackPauseMaxMs);
    credit_resume_ms_ = now + handback_pause_ms_;
    spdlog::error("job {} chunk {}: endpoint unusable from this worker, handing the chunk back "
                  "and taking no work for {} s: {}",
                  copy.first, copy.second, handback_pause_ms_ / 1000, reason);
    Release(copy, draining_ ? "draining" : "endpoint unusable from this worker: " + reason);
    GiveCredit();
    return;
  }
  handback_pause_ms_ = 0;
  if (held.plan && !FinishCachedRound(key, held, labels)) return;
  CompleteChunk(key, held, std::move(labels));
}

void WorkerNode::CompleteChunk(const Key& key, HeldChunk& held, ChunkLabels labels) {
  held.batch.reset();
  held.earlier.reset();
  proto::ChunkResult result;
  result.job_id = key.first;
  result.chunk_index = key.second;
  result.attempt = held.attempt;
  result.first_row = held.first_row;
  result.row_count = held.row_count;
  result.error_count = labels.errors.size();
  result.retry_count = labels.counters.retries;
  if (held.plan) result.cached_rows = held.plan->cached_rows();
  held.plan.reset();
  const EngineCounters& c = labels.counters;
  if (c.prompt_tokens + c.completion_tokens + c.answers_invalid + c.rows_invalid > 0) {
    result.usage =
        proto::ChunkUsage{c.prompt_tokens, c.completion_tokens, c.answers_invalid, c.rows_invalid};
  }
  for (const RowError& e : labels.errors) {
    if (result.errors.size() >= proto::kMaxArrayElements) break;
    result.errors.push_back({held.first_row + e.row, e.reason});
  }
  result.labelled.reserve(held.chunk.size() + labels.labels.size() * 12);
  Status built = AppendLabelledRows(held.shape, held.chunk, labels.labels, &result.labelled);
  if (!built.ok()) {  // ParseChunkRows accepted these bytes: cannot happen
    spdlog::error("job {} chunk {}: labelled output: {}", key.first, key.second, built.message());
  }
  ++counters_.chunks_labelled;
  counters_.rows_done += held.row_count;
  counters_.rows_failed += labels.errors.size();
  metrics_.CountChunk(labels.counters);
  held.labelled = true;
  held.chunk.clear();
  held.chunk.shrink_to_fit();
  held.result = proto::Encode(std::move(result));
  SendResult(key, held);
}

zmq::socket_t& WorkerNode::CollectorSocket(const std::string& endpoint,
                                           const std::string& public_key) {
  auto it = collectors_.find({endpoint, public_key});
  if (it != collectors_.end()) return *it->second;
  auto socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  ConfigureSocket(*socket);
  ApplyCurveClient(*socket, options_.curve, public_key);
  socket->connect(endpoint);
  zmq::socket_t& ref = *socket;
  collectors_[{endpoint, public_key}] = std::move(socket);
  return ref;
}

void WorkerNode::SendResult(const Key& key, HeldChunk& held) {
  held.result_sent_ms = options_.clock->NowMs();
  Status s =
      SendFrames(CollectorSocket(held.collector, held.collector_public_key), "", held.result);
  if (!s.ok()) {
    spdlog::warn("job {} chunk {}: collector {} not reachable yet: {}", key.first, key.second,
                 held.collector, s.ToString());
  }
}

void WorkerNode::OnResultAck(const proto::ResultAck& ack) {
  Key key{ack.job_id, ack.chunk_index};
  auto it = held_.find(key);
  if (it == held_.end() || !it->second.labelled) return;
  if (!ack.ok) {
    spdlog::warn("job {} chunk {}: collector refused the result ({}); will retry", key.first,
                 key.second, ack.message);
    return;  // Tick resends after result_resend_ms
  }
  held_.erase(it);
  ++counters_.chunks_done;
  GiveCredit();
}

}  // namespace sieve
