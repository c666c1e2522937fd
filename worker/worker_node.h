// WorkerNode: the sieve-worker process as a library. Takes leased chunks from the broker,
// labels their rows through the HTTP engine, and delivers the results to the collector.
//
// DESIGN (threads, loop, invariants)
// One thread runs Run(): it owns the DEALER to the broker, one DEALER per collector endpoint,
// and one HttpEngine per job (each job has its own endpoint, fields and label rules). Each
// iteration it (1) drives the engines for at most ~50 ms and turns finished chunks into RESULT
// messages, (2) handles what the broker and collectors sent (ASSIGN, HEARTBEAT, DROP_JOB,
// DISCONNECT, RESULT_ACK), (3) heartbeats the broker with the leases it holds, (4) resends
// RESULTs not acknowledged in time, (5) reconnects to a silent broker with backoff 1 s -> 32 s.
// Invariants: the worker holds at most `max_chunks` chunks (the credit it announces); a chunk
// is held (and its lease heartbeated) until the collector acknowledges its result as durable;
// a result is never dropped before that, so a collector outage delays but loses nothing.
// Endpoint outages: a chunk whose retry budget ran out with rows failing is labelled again
// after a backoff (ScheduleRelabel), keeping its lease, so an outage of up to ~3 min ends in
// the same labels as no outage; only rows that fail every round get the error label.
// An endpoint unusable from this worker (untrusted TLS certificate: every row would fail
// alike) hands the chunk back at once (RELEASE, a failed attempt) instead of committing error
// rows, and the worker withholds its credit for a pause (5 s doubling to 60 s, reset by a chunk
// labelled without such a failure) so that workers set up right take the work; a fleet-wide
// problem still ends as error rows once a chunk has failed --max-attempts times.
// Draining (RequestDrain, SIGTERM): no new chunks; chunks not labelled yet are handed back
// (RELEASE) at once; chunks with results in flight are kept until acknowledged or the drain
// deadline passes; then DISCONNECT and Run returns.
//
// Memory: at most max_chunks chunks (bytes, parsed rows, labelled bytes) at a time.
// Thread-safety: Run() on one thread; RequestDrain()/RequestStop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "common/clock.h"
#include "net/broker_link.h"
#include "net/curve.h"
#include "common/status.h"
#include "proto/codec.h"
#include "worker/chunk_cache_plan.h"
#include "worker/engine_options.h"
#include "worker/chunk_rows.h"
#include "worker/http_engine.h"
#include "worker/job_permits.h"
#include "worker/request_budget.h"
#include "worker/secret_store.h"
#include "worker/worker_metrics.h"

namespace sieve {

struct WorkerNodeOptions {
  std::string broker = "tcp://127.0.0.1:7400";
  std::string name;           // default: host:pid
  int concurrency = 64;       // requests in flight per worker, across all its jobs
  bool adaptive = false;      // AIMD concurrency
  uint32_t max_chunks = 2;    // chunks held at once (credit)
  uint32_t heartbeat_ms = proto::kHeartbeatIntervalMs;
  uint32_t liveness = proto::kHeartbeatLiveness;
  uint32_t result_resend_ms = 5000;
  uint32_t drain_timeout_ms = 20000;
  // Rounds a chunk's failed rows are labelled again after an endpoint outage (1 s doubling to
  // 30 s between rounds) before they become error rows: 10 rides out ~3 min; 0 fails them at
  // once (--max-relabels).
  uint32_t max_relabels = 10;
  const Clock* clock = &SystemClock::Get();
  // Where the worker's metrics live (served by a MetricsServer); null: a private registry.
  std::shared_ptr<prometheus::Registry> metrics_registry;
  // CURVE: own keys and the broker's public key; the collector's key comes with each ASSIGN.
  // Without keys: plaintext.
  CurveConfig curve;
  // CAs of https:// endpoints (EngineOptions::ca_file); empty: the system's store.
  std::string ca_file;
  // Values of the ${secret:NAME} references in job headers (worker/secret_store.h). A chunk of
  // a job naming a secret not here is handed back (RELEASE.missing_secret), never sent without.
  SecretStore secrets;
};

class WorkerNode {
 public:
  static Result<std::unique_ptr<WorkerNode>> Create(zmq::context_t& context,
                                                    WorkerNodeOptions options);
  ~WorkerNode();

  Status Run();
  // Graceful: hand back what is not done, finish delivering what is, then return.
  void RequestDrain() { drain_.store(true); }
  // Immediate: return at the next iteration (held chunks come back to the broker by expiry).
  void RequestStop() { stop_.store(true); }

 private:
  struct HeldChunk {
    uint32_t attempt = 0;
    uint64_t first_row = 0;
    uint64_t row_count = 0;
    std::string collector;
    std::string collector_public_key;  // CURVE; empty when off
    std::string chunk;              // the records, kept to build the labelled output
    ChunkShape shape;               // their format and the output's (chunk_rows.h)
    HttpEngine::ChunkId engine_id = 0;
    std::shared_ptr<const RowBatch> batch;  // the parsed rows, kept for relabelling
    std::optional<ChunkLabels> earlier;     // labels of the previous rounds (relabelling)
    uint32_t relabels = 0;                  // rounds run again after an endpoint outage
    int64_t relabel_at_ms = 0;              // when the next round starts; 0: none waiting
    bool labelled = false;          // the engine is done; result below
    proto::Frames result;           // encoded RESULT, kept until acknowledged
    int64_t result_sent_ms = 0;
    // The result cache and dedupe (worker_cache.cc); null: the chunk goes to the engine whole.
    // With a plan, `batch` and `engine_id` are the current round's (0: no round running).
    std::unique_ptr<ChunkCachePlan> plan;
    std::string cache_namespace;
    std::optional<proto::CacheLookup> lookup;  // sent, not answered yet
    int64_t lookup_sent_ms = 0;
    int64_t next_lookup_ms = 0;  // groups waiting on another lease are asked again then
    int64_t wait_backoff_ms = 0;
    // A canary chunk with a plan (ASSIGN.canary): its first round to the engine is the probe.
    // Rows the cache answers need no probe: a chunk answered whole by the cache commits, and a
    // commit passes the job's canary at the broker (the answers were the endpoint's).
    bool canary = false;
  };
  using Key = std::pair<std::string, uint64_t>;  // job id, chunk index
  struct EngineSlot {
    std::unique_ptr<HttpEngine> engine;
    int64_t last_used_ms = 0;
  };

  WorkerNode(zmq::context_t& context, WorkerNodeOptions options);
  void SendToBroker(proto::Message message) { broker_->Send(std::move(message)); }
  void HandleBroker();
  void HandleCollectors();
  void OnAssign(proto::Assign assign);
  void HandBackForSecret(const proto::Assign& assign, const std::string& name, const Status& why);
  void OnDropJob(const std::string& job_id);
  void OnResultAck(const proto::ResultAck& ack);
  void DriveEngines();
  // A chunk's labels to its RESULT (worker_results.cc): relabel rounds, completion, sending
  // and RESULT_ACK.
  void OnChunkLabelled(const Key& key, HeldChunk& held, ChunkLabels labels);
  // Builds the chunk's RESULT from every row's label and sends it.
  void CompleteChunk(const Key& key, HeldChunk& held, ChunkLabels labels);
  // The result cache and dedupe (worker_cache.cc). PlanChunk: null when the rows do not
  // render (the engine then refuses the chunk as before).
  std::unique_ptr<ChunkCachePlan> PlanChunk(const proto::JobSpec& spec,
                                            const std::vector<std::string>& unresolved_headers,
                                            std::shared_ptr<const RowBatch> batch);
  void AdvanceCached(const Key& key, HeldChunk& held);
  void SendCacheLookup(const Key& key, HeldChunk& held);
  void OnCacheAnswer(const proto::CacheAnswer& answer);
  // Takes a round's labels into the plan and fills the cache; true (and `labels` the whole
  // chunk's) when every row is answered.
  bool FinishCachedRound(const Key& key, HeldChunk& held, ChunkLabels& labels);
  void SendCacheFill(const Key& key, HeldChunk& held, std::vector<std::string>& keys,
                     std::vector<std::string>& labels, std::vector<std::string>& release);
  void TickCache(int64_t now);
  // Canary chunks (worker/canary_probe.h, worker_canary.cc): CANARY passed for the chunks of
  // `job_id` whose probe just passed; a failed canary's chunk is dropped (no RESULT) and the
  // verdict sent with the endpoint's answer.
  void ReportCanaryPasses(const std::string& job_id, HttpEngine& engine);
  void DropFailedCanary(const Key& key, const std::string& reason);
  // The same judgement while running (EngineOptions::pause_on_refusal): the endpoint refused
  // the job's requests (401/403), so the chunk goes back to the broker unlabelled (RELEASE
  // `refusal`, not a failed attempt) and the broker pauses the job.
  void HandBackRefused(const Key& key, const std::string& reason);
  // After an endpoint outage (the engine spent the chunk's retry budget) the chunk is labelled
  // again after a backoff (1 s doubling to 30 s, at most options_.max_relabels rounds, ~3 min by default), keeping
  // every label an earlier round got. True when a round was scheduled.
  bool ScheduleRelabel(const Key& key, HeldChunk& held, ChunkLabels& labels);
  void StartDueRelabels(int64_t now);
  void SendResult(const Key& key, HeldChunk& held);
  void Release(const Key& key, const std::string& reason);
  // Owes the broker one more chunk of credit and announces what is owed, unless draining or
  // pausing after a hand-back (SendOwedCredit announces it when the pause ends).
  void GiveCredit();
  void SendOwedCredit(int64_t now);
  void Tick(int64_t now);
  void SampleMetrics();  // O(engines); every loop iteration
  void StartDrain();
  // `tokens_each`: the estimate of one request's tokens, for a rate-limited job's permits.
  Result<HttpEngine*> EngineFor(const std::string& job_id, const proto::JobSpec& spec,
                                uint64_t tokens_each);
  void OnPermitMessage(const proto::Message& message);  // PERMIT_GRANT, PERMITS_VOID
  zmq::socket_t& CollectorSocket(const std::string& endpoint, const std::string& public_key);
  uint32_t FreeSlots() const;

  zmq::context_t& context_;
  WorkerNodeOptions options_;
  std::unique_ptr<BrokerLink> broker_;
  // By (endpoint, CURVE public key): a re-keyed collector gets a new connection.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<zmq::socket_t>> collectors_;
  MessageInbox collector_inbox_{"a collector", /*routed=*/false};
  // Requests in flight across all engines: --concurrency bounds the worker, not each job.
  // Declared before engines_: the engines release into it when destroyed.
  RequestBudget budget_;
  // Permits of rate-limited jobs (worker/job_permits.h), by job id. Declared before engines_:
  // an engine holds its job's gate until it is destroyed.
  std::map<std::string, std::unique_ptr<JobPermits>> permits_;
  PermitCounters permit_counters_;
  std::map<std::string, EngineSlot> engines_;                          // by job id
  // Endpoint counts of engines closed since the last heartbeat: sent with the next one.
  std::vector<proto::JobEndpointCounts> unsent_endpoint_counts_;
  std::map<Key, HeldChunk> held_;
  std::atomic<bool> drain_{false};
  std::atomic<bool> stop_{false};
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  uint64_t cache_request_id_ = 0;
  uint32_t credit_owed_ = 0;        // credit not announced yet (during a hand-back pause)
  int64_t credit_resume_ms_ = 0;    // no credit is announced before this time
  int64_t handback_pause_ms_ = 0;   // the last hand-back pause; 0 after a good chunk
  WorkerCounters counters_;
  std::shared_ptr<prometheus::Registry> registry_;
  WorkerMetrics metrics_;
};

}  // namespace sieve
