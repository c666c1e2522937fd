// The worker's side of the result cache and of dedupe (docs/architecture.md, "The result cache
// and dedupe"): WorkerNode's hooks, kept beside worker_node.cc.
//
// DESIGN
// A held chunk with a ChunkCachePlan moves through rounds. AdvanceCached, called whenever
// something changed (ASSIGN, CACHE_ANSWER, a round labelled, a wait timer), does the next
// step, one at a time: ask the collector about unasked fingerprints (one CACHE_LOOKUP in
// flight per chunk, resent unchanged after result_resend_ms), else send the claimed groups'
// representative rows to the engine as one round, else complete the chunk when every group is
// answered, else (only groups waiting on another lease's claim) ask again after a backoff
// (100 ms doubling to 2 s). A round's answers go to the collector at once (CACHE_FILL), before
// the chunk's own RESULT, so chunks waiting on each other's claims cannot deadlock: a chunk's
// claimed rows never wait for anything.
// Without a cache namespace in the spec (a broker that sets none) or with --no-cache, nothing
// is asked or filled: groups start claimed, so rows repeated in a chunk are still sent once.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/zmq_io.h"
#include "proto/cache_messages.h"
#include "worker/worker_node.h"

namespace sieve {
namespace {

constexpr int64_t kWaitFirstMs = 100;
constexpr int64_t kWaitMaxMs = 2'000;
constexpr size_t kMaxFillLabelBytes = 512 << 10;

}  // namespace

std::unique_ptr<ChunkCachePlan> WorkerNode::PlanChunk(
    const proto::JobSpec& spec, const std::vector<std::string>& unresolved_headers,
    std::shared_ptr<const RowBatch> batch) {
  FingerprintInputs in;
  in.endpoint = spec.endpoint;
  in.label_field = spec.label_field;
  in.labels = spec.labels;
  in.batch = spec.batch_size > 1;
  in.headers = unresolved_headers;  // ${secret:NAME} unexpanded: keys never reach a hash
  in.secret_headers = spec.secret_headers;
  const bool use_cache = !spec.no_cache && !spec.cache_namespace.empty();
  EngineOptions rendering;  // what the plan needs to render rows as the engine does
  rendering.fields = spec.fields;
  rendering.body_template = spec.body_template;
  rendering.error_label = spec.error_label;
  Result<std::unique_ptr<ChunkCachePlan>> plan = ChunkCachePlan::Create(
      std::move(batch), rendering, RequestFingerprinter(in), use_cache);
  if (!plan.ok()) return nullptr;  // the engine refuses the chunk the same way
  return std::move(*plan);
}

void WorkerNode::AdvanceCached(const Key& key, HeldChunk& held) {
  ChunkCachePlan& plan = *held.plan;
  if (held.labelled || held.engine_id != 0 || held.lookup) return;
  if (plan.use_cache() && plan.has_unasked()) {
    SendCacheLookup(key, held);
    return;
  }
  if (std::shared_ptr<RowBatch> round = plan.TakeRound()) {
    auto engine = engines_.find(key.first);
    Result<HttpEngine::ChunkId> id =
        engine != engines_.end() ? engine->second.engine->Submit(round, held.canary)
                                 : Result<HttpEngine::ChunkId>(Status::NotFound("no engine"));
    if (!id.ok()) {
      const Key copy = key;  // Release erases `held`
      spdlog::error("job {} chunk {}: cannot label: {}", copy.first, copy.second,
                    id.status().ToString());
      Release(copy, "worker cannot label it: " + id.status().message());
      GiveCredit();
      return;
    }
    engine->second.last_used_ms = options_.clock->NowMs();
    held.canary = false;  // the probe is this round's
    held.engine_id = *id;
    held.batch = std::move(round);
    return;
  }
  if (plan.done()) {
    ChunkLabels labels = plan.TakeResult();
    CompleteChunk(key, held, std::move(labels));
    return;
  }
  if (plan.has_waiting() && held.next_lookup_ms == 0) {
    held.wait_backoff_ms = std::clamp<int64_t>(2 * held.wait_backoff_ms, kWaitFirstMs, kWaitMaxMs);
    held.next_lookup_ms = options_.clock->NowMs() + held.wait_backoff_ms;
  }
}

void WorkerNode::SendCacheLookup(const Key& key, HeldChunk& held) {
  proto::CacheLookup lookup;
  lookup.request_id = ++cache_request_id_;
  lookup.job_id = key.first;
  lookup.chunk_index = key.second;
  lookup.attempt = held.attempt;
  lookup.cache_namespace = held.cache_namespace;
  lookup.keys = held.plan->TakeQuestions(proto::kMaxCacheKeys);
  held.lookup = lookup;
  held.lookup_sent_ms = options_.clock->NowMs();
  Status s = SendMessage(CollectorSocket(held.collector, held.collector_public_key), "",
                         std::move(lookup));
  if (!s.ok()) spdlog::debug("job {} chunk {}: cache lookup not sent yet: {}", key.first,
                             key.second, s.ToString());
}

void WorkerNode::OnCacheAnswer(const proto::CacheAnswer& answer) {
  auto it = held_.find(Key{answer.job_id, answer.chunk_index});
  if (it == held_.end()) return;
  HeldChunk& held = it->second;
  if (!held.plan || !held.lookup || held.lookup->request_id != answer.request_id) return;
  held.lookup.reset();
  if (!held.plan->Apply(answer.answers, answer.labels)) {
    spdlog::warn("job {} chunk {}: a cache answer did not fit its lookup; asking again",
                 answer.job_id, answer.chunk_index);
  }
  AdvanceCached(it->first, held);
}

bool WorkerNode::FinishCachedRound(const Key& key, HeldChunk& held, ChunkLabels& labels) {
  held.engine_id = 0;
  held.earlier.reset();  // a later round relabels other rows
  std::vector<std::string> keys;
  std::vector<std::string> answers;
  std::vector<std::string> release;
  held.plan->Absorb(std::move(labels), &keys, &answers, &release);
  if (!keys.empty() || !release.empty()) SendCacheFill(key, held, keys, answers, release);
  if (!held.plan->done()) {
    AdvanceCached(key, held);
    return false;
  }
  labels = held.plan->TakeResult();
  return true;
}

void WorkerNode::SendCacheFill(const Key& key, HeldChunk& held, std::vector<std::string>& keys,
                               std::vector<std::string>& labels,
                               std::vector<std::string>& release) {
  zmq::socket_t& socket = CollectorSocket(held.collector, held.collector_public_key);
  size_t next = 0;
  size_t next_release = 0;
  while (next < keys.size() || next_release < release.size()) {
    proto::CacheFill fill;
    fill.job_id = key.first;
    fill.chunk_index = key.second;
    fill.cache_namespace = held.cache_namespace;
    size_t bytes = 0;
    while (next < keys.size() && fill.keys.size() < proto::kMaxCacheKeys &&
           bytes < kMaxFillLabelBytes) {
      bytes += labels[next].size();
      fill.keys.push_back(std::move(keys[next]));
      fill.labels.push_back(std::move(labels[next]));
      ++next;
    }
    while (next_release < release.size() && fill.release.size() < proto::kMaxCacheKeys) {
      fill.release.push_back(std::move(release[next_release++]));
    }
    Status s = SendMessage(socket, "", std::move(fill));
    if (!s.ok()) {
      // Not cached: the labels are in the chunk's result all the same.
      spdlog::debug("job {} chunk {}: cache fill not sent: {}", key.first, key.second,
                    s.ToString());
    }
  }
}

void WorkerNode::TickCache(int64_t now) {
  std::vector<Key> due;
  for (auto& [key, held] : held_) {
    if (!held.plan || held.labelled) continue;
    if (held.lookup && now - held.lookup_sent_ms >= options_.result_resend_ms) {
      // The collector did not answer (restarting?): ask the same again.
      held.lookup_sent_ms = now;
      proto::CacheLookup again = *held.lookup;
      (void)SendMessage(CollectorSocket(held.collector, held.collector_public_key), "",
                        std::move(again));
    }
    if (held.next_lookup_ms != 0 && now >= held.next_lookup_ms) due.push_back(key);
  }
  for (const Key& key : due) {
    auto it = held_.find(key);
    if (it == held_.end()) continue;
    it->second.next_lookup_ms = 0;
    it->second.plan->RequeueWaiting();
    AdvanceCached(it->first, it->second);
  }
}

}  // namespace sieve
