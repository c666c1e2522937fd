// Broker: the sieve-broker process as a library. One ROUTER socket serves workers, collectors
// and clients; jobs and chunks are durable in a JobBook.
//
// DESIGN (threads, loop, invariants)
// One thread runs Run(): it owns the ROUTER socket, the JobBook (SQLite + spool), the lease
// table and the peer tables. Each iteration it (1) polls the socket for at most 100 ms and
// handles every waiting message, (2) sends heartbeats that are due, (3) declares peers dead
// after `liveness` silent heartbeat intervals and takes back the leases of dead workers,
// (4) takes back leases past their deadline, (5) finishes chunks that failed max_attempts
// times, or were isolated as poison pills, by sending their all-error output to the
// collector, (6) puts lost chunks whose backoff ended back in line, (7) dispatches chunks to
// workers with credit: first the chunks that must run alone, then the queue, (8) every few
// seconds drops ended jobs past --retain from memory and deletes those past --purge-after.
// Invariants: a chunk has at most one lease; a chunk is handed out only while a collector is
// connected (the ASSIGN names it); a worker never holds more leases than the credit it
// announced; nothing a peer sends can stop the loop (malformed messages are refused with
// ERROR, counted and logged).
//
// LOST IS NOT FAILED (docs/reliability.md). A lease ends in one of three ways:
//   returned  the worker gave it back cleanly (RELEASE "draining", DISCONNECT): queued again.
//   failed    the chunk failed on a live worker (any other RELEASE reason): spends one of the
//             job's --max-attempts; past them the chunk is finished as error rows.
//   lost      its worker died (silent past liveness) or the lease expired: spends nothing.
//             The chunk waits lost_backoff_ms x 2^(losses-1) (capped), then runs ALONE: on a
//             worker that holds no other lease and gets no other chunk until it is committed
//             (the worker with the fewest leases is reserved and drains first).
// POISON PILLS. Running alone makes a death attributable: a worker that dies holding one
// chunk alone died with that chunk. A chunk is isolated as a poison pill (finished as error
// rows naming the evidence) when the last `poison_deaths` worker deaths in the cluster were
// all workers, with different names, holding that chunk alone; any other worker death in
// between resets every chunk's count. The evidence is stored with the chunk (a broker restart
// keeps it). Cost: O(suspect chunks) per worker death, suspects being chunks whose last
// death(s) held them alone (a handful).
//
// FILES. One class, its member functions by concept: broker.cc (the loop and message routing),
// broker_workers.cc, broker_collector.cc, broker_clients.cc, broker_liveness.cc (steps 2-6),
// broker_dispatch.cc (7), broker_retention.cc (8), and the gates' hooks: broker_budget.cc,
// broker_canary.cc, broker_pause.cc, broker_quota.cc, broker_resume.cc, broker_retry.cc,
// broker_store.cc, broker_console.cc, broker_metrics.cc.
//
// Thread-safety: Run() on one thread; RequestStop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "broker/broker_metrics.h"
#include "broker/budget_gate.h"
#include "broker/endpoint_tally.h"
#include "broker/canary.h"
#include "broker/pause_gate.h"
#include "broker/job_book.h"
#include "broker/job_secrets.h"
#include "broker/job_usage.h"
#include "broker/lease_table.h"
#include "broker/quota_metrics.h"
#include "broker/quota_service.h"
#include "net/curve.h"
#include "net/message_inbox.h"
#include "net/zap_authenticator.h"
#include "broker/console_actions.h"
#include "broker/console_board.h"
#include "broker/status_board.h"
#include "common/clock.h"
#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

struct BrokerOptions {
  std::string listen = "tcp://127.0.0.1:7400";  // '*' or port 0 picks a free port
  std::string data_dir;
  bool allow_shared_data_dir = false;  // start on a data dir others can read (private_dir.h)
  uint32_t heartbeat_ms = proto::kHeartbeatIntervalMs;
  uint32_t liveness = proto::kHeartbeatLiveness;
  uint32_t lease_ms = 10000;       // a lease lasts this long past its last heartbeat
  uint32_t client_credit = 8;      // CHUNKs a client may have unacknowledged
  uint32_t failed_resend_ms = 5000;  // how often an all-error result is re-offered
  const Clock* clock = &SystemClock::Get();
  uint32_t publish_ms = 250;  // how often metrics and the status snapshot are refreshed
  // Where the broker's metrics live (served by a MetricsServer); null: a private registry.
  std::shared_ptr<prometheus::Registry> metrics_registry;
  // CURVE: the broker's own keys; with them, `allow_dir` lists the peers admitted, by role
  // (net/zap_authenticator.h). Without keys: plaintext, every peer has every role.
  CurveConfig curve;
  std::string allow_dir;
  // Per-client limits (a client is its public key with CURVE, "local" without), so one client
  // cannot fill the broker's disk or queue.
  uint32_t max_jobs_per_client = 16;
  uint64_t max_spool_bytes_per_client = uint64_t{64} << 30;
  // Lost chunks: backoff before a lost chunk is handed out again (doubles per loss, capped).
  uint32_t lost_backoff_ms = 250;
  uint32_t lost_backoff_max_ms = 30000;
  // Consecutive worker deaths, each holding the same chunk alone, that isolate it as a poison
  // pill. 0: never isolate (lost chunks are redelivered forever).
  uint32_t poison_deaths = 3;
  // Retention (wall clock): ended jobs leave memory retain_ms after they ended (status, jobs
  // and fetch answer from SQLite), and are deleted with their spool purge_ms after. < 0: never.
  int64_t retain_ms = int64_t{3600} * 1000;            // 1 h
  int64_t purge_ms = int64_t{7} * 24 * 3600 * 1000;    // 7 days
  uint32_t retention_check_ms = 5000;  // how often the two are looked at
  // Cluster-wide rate limits (docs/limits.md): permit TTL, burst, and the operator's caps by
  // limit key (`--limit NAME=600/min,tokens=90000/min`).
  QuotaOptions quota;
  std::map<std::string, QuotaLimits> limits;
  // The result cache: every client's jobs share one namespace ("shared"), so one client's
  // cached answers serve another's (docs/security.md). Off: one namespace per client.
  bool shared_cache = false;
};

class Broker {
 public:
  // Opens the data dir (reloading jobs) and binds the socket.
  static Result<std::unique_ptr<Broker>> Create(zmq::context_t& context, BrokerOptions options);
  ~Broker();

  // The endpoint actually bound, e.g. "tcp://127.0.0.1:40123".
  const std::string& endpoint() const { return endpoint_; }
  // Runs the loop until RequestStop(). Returns the error that stopped it, if any.
  Status Run();
  void RequestStop() { stop_.store(true); }
  // The jobs and workers as of the last publish (~publish_ms ago). Thread-safe.
  const StatusBoard& status_board() const { return status_board_; }
  // The web console's view (broker/console_board.h) and its action queue, which the loop
  // drains (broker/console_actions.h, broker_console.cc). Thread-safe.
  ConsoleBoard& console_board() { return console_board_; }
  ConsoleActionQueue& console_actions() { return console_actions_; }
  // The console actions this broker carries out, by name ("cancel", ...).
  static std::vector<std::string> ConsoleActionNames();

 private:
  struct Worker {
    std::string name;
    uint32_t credit = 0;
    uint32_t concurrency = 0;
    int64_t last_seen_ms = 0;
    uint64_t rows_done = 0;
    std::string version;  // from READY
    uint32_t in_flight = 0;  // HTTP requests, at its last HEARTBEAT
  };
  struct Collector {
    std::string endpoint;
    std::string public_key;  // CURVE, empty when off
    int64_t last_seen_ms = 0;
  };
  struct FailedChunk {
    uint64_t rows = 0;
    int64_t next_send_ms = 0;
    std::string reason;  // in every row's error-report entry
  };
  // How a lease ended (see LOST IS NOT FAILED above).
  enum class LeaseEnd { kReturned, kFailed, kLost };

  Broker(zmq::context_t& context, BrokerOptions options, std::unique_ptr<JobBook> book);
  void HandleIncoming();
  void Handle(const std::string& peer, const std::string& user_id, proto::Message message);
  struct ClientUsage {
    uint32_t jobs = 0;          // active jobs
    uint64_t spool_bytes = 0;   // bytes of their chunks not yet committed
  };
  ClientUsage UsageOf(const std::string& client) const;
  Status CheckSpoolLimit(const std::string& client, uint64_t more_bytes) const;
  bool OwnsJob(const std::string& client, const std::string& job_id) const;
  void Reply(const std::string& peer, proto::Message message);
  void Refuse(const std::string& peer, std::optional<uint64_t> request_id, const Status& status);

  // Worker side.
  void OnReady(const std::string& peer, const proto::Ready& ready);
  void OnHeartbeat(const std::string& peer, const proto::Heartbeat& heartbeat);
  void OnRelease(const std::string& peer, const proto::Release& release);
  void OnDisconnect(const std::string& peer);
  // Collector side.
  void OnCollectorReady(const std::string& peer, const proto::CollectorReady& ready);
  void OnCommitted(const proto::Committed& committed);
  void OnJobDone(const proto::JobDone& done);
  // Client side.
  void OnSubmit(const std::string& peer, const std::string& client, const proto::Submit& submit);
  void OnChunk(const std::string& peer, const std::string& client, const proto::Chunk& chunk);
  void OnSeal(const std::string& peer, const proto::Seal& seal);
  void OnStatus(const std::string& peer, const proto::StatusQuery& query);
  void OnWorkers(const std::string& peer, const proto::WorkersQuery& query);
  void OnCancel(const std::string& peer, const proto::Cancel& cancel);
  // Cancels a job (a client's CANCEL or the console): drops its leases and its output.
  Status CancelJob(const std::string& job_id, const std::string& reason);
  void OnResume(const std::string& peer, const proto::Resume& resume);  // broker_resume.cc
  // RESUME with max_cost / max_tokens: sets the budget, carries on a budget_exhausted job.
  // False after refusing (the reply is sent). broker_resume.cc
  bool ResumeBudget(const std::string& peer, const proto::Resume& resume, JobEntry& job,
                    proto::ResumeReply& reply);

  // Budgets (broker_budget.cc, broker/budget_gate.h).
  // True when the budget lets `key` be handed out now; false: the gate keeps the chunk.
  bool AdmitByBudget(const ChunkKey& key);
  // After dispatch: marks blocked jobs with nothing in flight budget_exhausted, and puts back
  // in the queue the chunks of jobs whose budget has room again.
  void CheckBudgets();
  // After a restart: each job's committed usage from the store.
  void RecoverUsage();
  // Rate limits (broker_quota.cc).
  void OnPermitAsk(const std::string& peer, const proto::PermitAsk& ask);
  void OnRateLimited(const std::string& peer, const proto::RateLimited& report);
  void OnLimits(const std::string& peer, const proto::LimitsQuery& query);
  void JoinQuotas();  // after a restart: the active jobs use their keys again
  // `sieve retry` (broker_retry.cc): a SUBMIT with spec.retry_of gets the done job's spec
  // (its own headers, when it sends some, replace the job's); JOB_DONE of a done job is the
  // collector's word that it rebuilt that job's output (fewer error rows).
  Status SpecForRetry(const std::string& client, proto::JobSpec& spec) const;
  void OnOutputRebuilt(const proto::JobDone& done);
  void OnCanary(const std::string& peer, const proto::CanaryReport& report);  // broker_canary.cc
  // The job's canary passed: its parked chunks go back to the front of the queue.
  void PassCanary(const std::string& job_id);
  // Pause while running (broker_pause.cc, broker/pause_gate.h). PauseJob: a worker handed a
  // chunk back because the endpoint refused the job's requests (RELEASE `refusal`).
  void PauseJob(const std::string& job_id, const std::string& reason);
  // RESUME of a paused job: sealed again, its parked chunks back at the front of the queue.
  // False after refusing (the reply is sent).
  bool ResumePaused(const std::string& peer, const proto::Resume& resume, JobEntry& job,
                    proto::ResumeReply& reply);
  // After a seal: a job paused while open becomes `paused`.
  void PauseIfPausedOpen(const std::string& job_id);

  // Periodic work.
  void SendHeartbeats(int64_t now);
  void ReapDeadPeers(int64_t now);
  void ExpireLeases(int64_t now);
  // A lease ended without a result. kFailed counts a failure (past max_attempts the chunk is
  // finished as errors); kLost counts a loss and puts the chunk in backoff; kReturned queues
  // it again at once. Nothing happens to a chunk already committed or finished as errors.
  void HandBack(const Lease& lease, LeaseEnd end, const std::string& reason);
  // A worker named `name` died holding `held`: updates the poison evidence (may isolate).
  void RecordDeath(const std::string& name, const std::vector<Lease>& held);
  void Isolate(const ChunkKey& key, const ChunkRecord& chunk, const std::string& reason);
  // After a restart: chunks failed past max_attempts or poisoned are finished as errors again,
  // and the poison suspects are known again.
  void RecoverChunkVerdicts();
  int64_t LostBackoffMs(uint32_t losses) const;
  void RequeueDue(int64_t now);
  void ResendFailedChunks(int64_t now);
  void Dispatch(int64_t now);
  // Hands out the chunks that must run alone; returns the workers reserved for them (those
  // take nothing else until they hold no lease and get their chunk).
  std::set<std::string> DispatchAlone(int64_t now);
  bool Dispatchable(const ChunkKey& key);
  bool AssignTo(const std::string& worker_id, Worker& worker, const ChunkKey& key, int64_t now,
                bool alone = false);
  // Retention: evicts ended jobs past retain_ms, purges those past purge_ms.
  void Retain(int64_t now);
  void ForgetJob(const std::string& job_id);
  void OpenJobAtCollector(const JobEntry& job);
  // The fields every job's status has, from its durable record.
  proto::JobStatus StatusOf(const JobRecord& record, uint64_t chunks_committed,
                            uint64_t chunks_failed) const;
  proto::JobStatus StatusOf(const JobEntry& job) const;
  proto::JobStatus StatusOf(const StoredJob& job) const;
  std::vector<proto::WorkerInfo> WorkersNow(int64_t now) const;
  // Every publish_ms: refreshes the metrics and the status board from the loop's state.
  void Publish(int64_t now);
  // Web console (broker_console.cc): publishes its snapshot (from Publish) and carries out the
  // actions queued by its HTTP handlers (once per loop iteration).
  void PublishConsole(int64_t now, const std::vector<proto::JobStatus>& jobs);
  void DrainConsoleActions();
  std::string ChunkStrip(const JobEntry& job) const;  // one kChunk* letter per chunk
  Status ConsoleCancel(const std::string& job_id, const std::string& who);
  // The console's actions by name (broker_console.cc): the one place to add one.
  using ConsoleActionFn = Status (Broker::*)(const std::string& job_id, const std::string& who);
  static const std::vector<std::pair<std::string, ConsoleActionFn>>& ConsoleActionTable();
  bool collector_connected() const { return !collector_id_.empty(); }

  zmq::context_t& context_;
  BrokerOptions options_;
  std::unique_ptr<JobBook> book_;
  std::unique_ptr<ZapAuthenticator> zap_;  // before socket_: it must outlive the socket
  zmq::socket_t socket_;
  MessageInbox inbox_{"a peer", /*routed=*/true};
  std::string endpoint_;
  std::atomic<bool> stop_{false};

  LeaseTable leases_;
  std::map<std::string, Worker> workers_;  // by routing identity
  std::string collector_id_;               // routing identity of the collector, or empty
  Collector collector_;
  std::map<ChunkKey, FailedChunk> failed_;  // all-error results not yet committed
  std::map<ChunkKey, std::string> last_failure_;  // reason of the last failed lease
  std::multimap<int64_t, ChunkKey> backoff_;  // lost chunks by the time they may run again
  std::deque<ChunkKey> alone_;                // chunks waiting for a worker to run them alone
  std::set<ChunkKey> suspects_;               // chunks with poison evidence (non-empty deaths)
  int64_t next_retention_ms_ = 0;
  JobSecrets secrets_;  // credential headers, in memory only (broker/job_secrets.h)
  JobUsage usage_;  // tokens of committed chunks, per job (from COMMITTED)
  EndpointTally endpoint_tally_;  // endpoint pools' counts, per job (from HEARTBEAT)
  BudgetGate budget_;  // --max-cost / --max-tokens (broker/budget_gate.h)
  QuotaService quota_;  // rate limits and permits (broker/quota_service.h)
  CanaryGate canary_;  // jobs whose first chunk probes the endpoint first (broker/canary.h)
  PauseGate pause_;    // jobs paused while running, and their parked chunks (pause_gate.h)
  int64_t next_heartbeat_ms_ = 0;
  BrokerCounters counters_;
  std::shared_ptr<prometheus::Registry> registry_;
  BrokerMetrics metrics_;
  QuotaMetrics quota_metrics_;
  StatusBoard status_board_;
  ConsoleBoard console_board_;
  ConsoleActionQueue console_actions_;
  int64_t next_console_publish_ms_ = 0;
  // Jobs the console board has a spec for, and whether each was active at its last strip.
  std::map<std::string, bool> console_known_;
  int64_t next_publish_ms_ = 0;
};

}  // namespace sieve
