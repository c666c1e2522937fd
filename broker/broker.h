// Broker: the sieve-broker process as a library. One ROUTER socket serves workers, collectors
// and clients; jobs and chunks are durable in a JobBook.
//
// DESIGN (threads, loop, invariants)
// One thread runs Run(): it owns the ROUTER socket, the JobBook (SQLite + spool), the lease
// table and the peer tables. Each iteration it (1) polls the socket for at most 100 ms and
// handles every waiting message, (2) sends heartbeats that are due, (3) declares peers dead
// after `liveness` silent heartbeat intervals and requeues the leases of dead workers,
// (4) requeues leases past their deadline, (5) finishes chunks that failed max_attempts times
// by sending their all-error output to the collector, (6) dispatches queued chunks to workers
// with credit. Invariants: a chunk has at most one lease; a chunk is handed out only while a
// collector is connected (the ASSIGN names it); a worker never holds more leases than the
// credit it announced; nothing a peer sends can stop the loop (malformed messages are
// refused with ERROR, counted and logged).
//
// Thread-safety: Run() on one thread; RequestStop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "broker/broker_metrics.h"
#include "broker/job_book.h"
#include "broker/job_usage.h"
#include "broker/lease_table.h"
#include "net/curve.h"
#include "net/zap_authenticator.h"
#include "broker/status_board.h"
#include "common/clock.h"
#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

struct BrokerOptions {
  std::string listen = "tcp://127.0.0.1:7400";  // '*' or port 0 picks a free port
  std::string data_dir;
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
  const BrokerCounters& counters() const { return counters_; }
  // The jobs and workers as of the last publish (~publish_ms ago). Thread-safe.
  const StatusBoard& status_board() const { return status_board_; }

 private:
  struct Worker {
    std::string name;
    uint32_t credit = 0;
    uint32_t concurrency = 0;
    int64_t last_seen_ms = 0;
    uint64_t rows_done = 0;
  };
  struct Collector {
    std::string endpoint;
    std::string public_key;  // CURVE, empty when off
    int64_t last_seen_ms = 0;
  };
  struct FailedChunk {
    uint64_t rows = 0;
    int64_t next_send_ms = 0;
  };

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

  // Periodic work.
  void SendHeartbeats(int64_t now);
  void ReapDeadPeers(int64_t now);
  void ExpireLeases(int64_t now);
  // A lease ended without a result: count a failure when `failed`, then queue the chunk again
  // or, past max_attempts, finish it as errors.
  void HandBack(const Lease& lease, bool failed, const std::string& reason);
  void ResendFailedChunks(int64_t now);
  void Dispatch(int64_t now);
  bool AssignTo(const std::string& worker_id, Worker& worker, const ChunkKey& key, int64_t now);
  void OpenJobAtCollector(const JobEntry& job);
  proto::JobStatus StatusOf(const JobEntry& job) const;
  std::vector<proto::WorkerInfo> WorkersNow(int64_t now) const;
  // Every publish_ms: refreshes the metrics and the status board from the loop's state.
  void Publish(int64_t now);
  bool collector_connected() const { return !collector_id_.empty(); }

  zmq::context_t& context_;
  BrokerOptions options_;
  std::unique_ptr<JobBook> book_;
  std::unique_ptr<ZapAuthenticator> zap_;  // before socket_: it must outlive the socket
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};

  LeaseTable leases_;
  std::map<std::string, Worker> workers_;  // by routing identity
  std::string collector_id_;               // routing identity of the collector, or empty
  Collector collector_;
  std::map<ChunkKey, FailedChunk> failed_;  // all-error results not yet committed
  std::map<ChunkKey, std::string> last_failure_;  // reason of the last failed lease
  JobUsage usage_;  // tokens of committed chunks, per job (from COMMITTED)
  int64_t next_heartbeat_ms_ = 0;
  BrokerCounters counters_;
  std::shared_ptr<prometheus::Registry> registry_;
  BrokerMetrics metrics_;
  StatusBoard status_board_;
  int64_t next_publish_ms_ = 0;
};

}  // namespace sieve
