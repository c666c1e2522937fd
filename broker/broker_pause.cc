// The broker's half of pause while running (broker/pause_gate.h, docs/architecture.md): a
// worker hands a chunk back with RELEASE `refusal` (the endpoint answered 401/403 after the
// job's canary passed), the job pauses with that answer as its message, and RESUME carries on.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "common/redact.h"

namespace sieve {

void Broker::PauseJob(const std::string& job_id, const std::string& reason) {
  JobEntry* job = book_->Find(job_id);
  if (job == nullptr || !job->active() || pause_.Paused(*job)) return;  // paused already
  const std::string message = "the endpoint refused the job's requests: " + reason;
  if (job->record.state == JobState::kOpen) {
    pause_.PauseOpen(job_id, message);  // `paused` once sealed (PauseIfPausedOpen)
  } else if (Status s = book_->SetPaused(job_id, true, message); !s.ok()) {
    spdlog::error("job {}: cannot record its pause: {}", job_id, s.ToString());
    pause_.PauseOpen(job_id, message);  // paused in memory at least
  }
  ++counters_.jobs_paused;
  spdlog::error("job {} paused: {} (endpoint {}); nothing is labelled error, its chunks wait; "
                "`sieve resume {}` carries on once fixed",
                job_id, message, RedactUrl(job->spec.endpoint), job_id);
}

void Broker::PauseIfPausedOpen(const std::string& job_id) {
  const std::string reason = pause_.TakeOpenPause(job_id);
  if (reason.empty()) return;
  if (Status s = book_->SetPaused(job_id, true, reason); !s.ok()) {
    spdlog::error("job {}: cannot record its pause: {}", job_id, s.ToString());
    pause_.PauseOpen(job_id, reason);
  }
}

bool Broker::ResumePaused(const std::string& peer, const proto::Resume& resume, JobEntry& job,
                          proto::ResumeReply& reply) {
  const std::string was = job.record.state == JobState::kPaused
                              ? job.record.message
                              : pause_.OpenReason(job.record.job_id);
  if (Status s = book_->SetPaused(job.record.job_id, false, ""); !s.ok()) {
    Refuse(peer, resume.request_id, s);
    return false;
  }
  // Back at the front of the queue in their order: PushFront, so the last one first. If the
  // endpoint still refuses, the job pauses again after one request per chunk sent.
  std::vector<ChunkKey> parked = pause_.Release(job.record.job_id);
  for (auto it = parked.rbegin(); it != parked.rend(); ++it) book_->Requeue(*it);
  reply.resumed = true;
  reply.message += std::string(reply.message.empty() ? "" : "; ") + "job " + job.record.job_id +
                   " resumed (it was paused: " + was + ")";
  spdlog::info("job {} resumed after its pause ({} chunks back in the queue)", job.record.job_id,
               parked.size());
  return true;
}

}  // namespace sieve
