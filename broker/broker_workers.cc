// The broker's worker peers: READY, HEARTBEAT, RELEASE and a worker's leaving (broker/broker.h,
// "workers_"). The leases they hold: lease_table.h; their death: broker_liveness.cc.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "net/zmq_io.h"

namespace sieve {

void Broker::OnReady(const std::string& peer, const proto::Ready& ready) {
  auto [it, inserted] = workers_.try_emplace(peer);
  Worker& worker = it->second;
  worker.name = ready.worker;
  worker.concurrency = ready.concurrency;
  worker.version = ready.version;
  worker.last_seen_ms = options_.clock->NowMs();
  worker.credit += ready.credit;
  if (inserted) {
    spdlog::info("worker {} ({}) joined with credit {}", ready.worker, IdentityToString(peer),
                 ready.credit);
  }
}

void Broker::OnHeartbeat(const std::string& peer, const proto::Heartbeat& heartbeat) {
  if (peer == collector_id_) return;
  if (!workers_.contains(peer)) {
    // A peer we do not know (we restarted, or declared it dead): make it register again.
    Reply(peer, proto::Disconnect{"unknown peer: send READY"});
    return;
  }
  workers_[peer].in_flight = heartbeat.in_flight;
  endpoint_tally_.Add(peer, heartbeat.endpoints);
  int64_t deadline = options_.clock->NowMs() + options_.lease_ms;
  for (const proto::LeaseRef& ref : heartbeat.leases) {
    leases_.Renew(ChunkKey{ref.job_id, ref.chunk_index}, ref.attempt, peer, deadline);
  }
}

void Broker::OnRelease(const std::string& peer, const proto::Release& release) {
  ChunkKey key{release.job_id, release.chunk_index};
  std::optional<Lease> lease = leases_.Find(key);
  if (!lease || lease->worker != peer || lease->attempt != release.attempt) return;
  leases_.Remove(key);
  spdlog::info("job {} chunk {}: handed back by {} ({})", key.job_id, key.chunk_index,
               workers_[peer].name, release.reason);
  if (!release.missing_secret.empty()) {  // not the chunk's fault: not a failed attempt
    secrets_.NoteMissingWorkerSecret(key.job_id, workers_[peer].name, release.missing_secret,
                                     options_.clock->NowMs());
    HandBack(*lease, LeaseEnd::kReturned, release.reason);
    return;
  }
  if (!release.refusal.empty()) {  // the endpoint refuses the job: it pauses (broker_pause.cc)
    PauseJob(key.job_id, release.refusal);
    HandBack(*lease, LeaseEnd::kReturned, release.reason);  // parked by Dispatch: not an attempt
    return;
  }
  HandBack(*lease, release.reason == "draining" ? LeaseEnd::kReturned : LeaseEnd::kFailed,
           release.reason);
}

void Broker::OnDisconnect(const std::string& peer) {
  auto it = workers_.find(peer);
  if (it == workers_.end()) return;
  spdlog::info("worker {} left", it->second.name);
  workers_.erase(it);
  quota_.WorkerGone(peer);
  endpoint_tally_.WorkerGone(peer);
  for (const Lease& lease : leases_.TakeByWorker(peer)) {
    HandBack(lease, LeaseEnd::kReturned, "worker left");
  }
}

}  // namespace sieve
