// Collector: the sieve-collector process as a library. Receives chunk results from workers,
// makes them durable, tells the broker, merges them in order into each job's output, and
// serves finished outputs to clients (FETCH).
//
// DESIGN (threads, loop, invariants)
// One thread runs Run(): it owns the ROUTER socket (workers and fetching clients connect to
// it), the DEALER socket to the broker, and every JobOutput. Each iteration it (1) polls both
// sockets for at most 100 ms and handles what is waiting, (2) heartbeats the broker and, when
// the broker has been silent for `liveness` intervals, reconnects with backoff (1 s -> 32 s)
// and announces itself again, (3) merges what can be merged and reports finished jobs.
// Invariants: a RESULT is acknowledged (RESULT_ACK ok) and reported (COMMITTED) only after it
// is durable; a chunk is stored at most once (duplicates are acknowledged, not stored); a
// store failure (disk full) is answered with RESULT_ACK not-ok so the worker retries later,
// and the job pauses instead of losing or corrupting anything.
//
// Thread-safety: Run() on one thread; RequestStop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "collector/collector_metrics.h"
#include "collector/job_output.h"
#include "collector/result_cache.h"
#include "common/clock.h"
#include "net/broker_link.h"
#include "net/curve.h"
#include "net/message_inbox.h"
#include "net/zap_authenticator.h"
#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

struct CollectorOptions {
  std::string broker = "tcp://127.0.0.1:7400";
  std::string listen = "tcp://127.0.0.1:7401";  // port 0 / '*' picks a free port
  std::string advertise;  // the endpoint workers are told; default: the bound endpoint
  std::string data_dir;
  bool allow_shared_data_dir = false;  // start on a data dir others can read (private_dir.h)
  std::string name = "collector";
  uint32_t heartbeat_ms = proto::kHeartbeatIntervalMs;
  uint32_t liveness = proto::kHeartbeatLiveness;
  uint32_t max_fetch_bytes = 4u << 20;  // largest FETCH_REPLY
  const Clock* clock = &SystemClock::Get();
  // Where the collector's metrics live (served by a MetricsServer); null: a private registry.
  std::shared_ptr<prometheus::Registry> metrics_registry;
  // CURVE: own keys and the broker's public key; with them, `allow_dir` lists the workers and
  // clients admitted (net/zap_authenticator.h). Without keys: plaintext, loopback.
  CurveConfig curve;
  std::string allow_dir;
  // The result cache (collector/result_cache.h): DATA_DIR/cache.db, at most this many bytes.
  uint64_t cache_max_bytes = uint64_t{1} << 30;
};

class Collector {
 public:
  // Opens the data dir (recovering every job in it) and binds the socket.
  static Result<std::unique_ptr<Collector>> Create(zmq::context_t& context,
                                                   CollectorOptions options);
  ~Collector();

  const std::string& endpoint() const { return advertise_; }
  Status Run();
  void RequestStop() { stop_.store(true); }

 private:
  Collector(zmq::context_t& context, CollectorOptions options);
  Status RecoverJobs();
  void HandleWorkers();
  void HandleBroker();
  void OnResult(const std::string& peer, proto::ChunkResult result);
  void OnFetch(const std::string& peer, const proto::Fetch& fetch);
  void OnJobOpen(const proto::JobOpen& open);
  void OnJobSealed(const proto::JobSealed& sealed);
  void OnJobCancel(const proto::JobCancel& cancel);
  // The result cache (collector_cache.cc).
  Status OpenCache();
  void OnCacheLookup(const std::string& peer, const proto::CacheLookup& lookup);
  void OnCacheFill(const proto::CacheFill& fill);
  void OnCacheAdmin(const std::string& peer, const std::string& user_id,
                    const proto::CacheAdmin& admin);
  void ReportCommitted(const std::string& job_id, uint64_t chunk_index, uint32_t attempt);
  void ReportDone(const std::string& job_id, const JobOutput& job);
  void MergeAll();
  // `sieve retry` (collector_retry.cc): once a finished job with retry_of is settled, its
  // results are in that done job's output (or were refused, logged). Cheap once settled.
  void SettleRetry(const std::string& job_id, const JobOutput& retry);
  void PublishMetrics();  // O(jobs); every loop iteration
  void SendToBroker(proto::Message message) { broker_->Send(std::move(message)); }
  proto::CollectorReady Ready() const;  // what the collector announces to the broker
  std::string JobDir(const std::string& job_id) const;

  zmq::context_t& context_;
  CollectorOptions options_;
  std::unique_ptr<ZapAuthenticator> zap_;  // before router_: it must outlive the socket
  zmq::socket_t router_;
  MessageInbox inbox_{"a worker or client", /*routed=*/true};
  std::unique_ptr<BrokerLink> broker_;
  std::string advertise_;
  std::atomic<bool> stop_{false};

  std::map<std::string, std::unique_ptr<JobOutput>> jobs_;
  std::set<std::string> retries_settled_;  // retry jobs whose results were applied (or refused)
  std::unique_ptr<ResultCache> cache_;
  CollectorCounters counters_;
  std::shared_ptr<prometheus::Registry> registry_;
  CollectorMetrics metrics_;
};

}  // namespace sieve
