// Broker::OnCanary: the verdict of a job's canary chunk (CANARY, docs/protocol.md;
// broker/canary.h). Passed: the job fans out. Failed: every probe row was refused the same way
// that retrying cannot fix, so the job ends `failed` with reason "canary: <the answer>", its
// spool and the collector's partial state are dropped, and no other row is ever sent.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "common/redact.h"

namespace sieve {

void Broker::PassCanary(const std::string& job_id) {
  std::vector<ChunkKey> parked = canary_.Pass(job_id);
  // Back at the front of the queue in their order: PushFront, so the last one first.
  for (auto it = parked.rbegin(); it != parked.rend(); ++it) book_->Requeue(*it);
}

void Broker::OnCanary(const std::string& peer, const proto::CanaryReport& report) {
  ChunkKey key{report.job_id, report.chunk_index};
  std::optional<Lease> lease = leases_.Find(key);
  JobEntry* job = book_->Find(report.job_id);
  // A verdict about an old lease, another worker's, or a job no longer running: ignored.
  if (!lease || lease->worker != peer || lease->attempt != report.attempt || job == nullptr ||
      !job->active() || !canary_.Pending(*job)) {
    return;
  }
  if (report.passed) {
    ++counters_.canaries_passed;
    PassCanary(report.job_id);
    spdlog::info("job {}: canary passed on chunk {}, fanning out", report.job_id,
                 report.chunk_index);
    return;
  }
  ++counters_.canaries_failed;
  leases_.Remove(key);
  const std::string reason = "canary: " + report.reason;
  Status s = book_->Fail(report.job_id, reason);
  if (!s.ok()) spdlog::error("job {}: cannot record its failure: {}", report.job_id, s.ToString());
  for (const Lease& other : leases_.TakeByJob(report.job_id)) {
    Reply(other.worker, proto::DropJob{report.job_id});
  }
  ForgetJob(report.job_id);
  if (collector_connected()) Reply(collector_id_, proto::JobCancel{report.job_id});
  spdlog::error("job {} failed: {} (endpoint {}); nothing else was sent", report.job_id, reason,
                RedactUrl(job->spec.endpoint));
}

}  // namespace sieve
