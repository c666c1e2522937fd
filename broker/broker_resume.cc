// Broker::OnResume: RESUME, "carry on with this job" (docs/protocol.md). Today one thing can
// hold an active job back that a client can undo: the broker restarted and lost the job's
// credential headers (broker/job_secrets.h). Other reasons (paused jobs, budgets) add their
// case here; a job held back by nothing gets resumed = false and a message saying so.
#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace sieve {

void Broker::OnResume(const std::string& peer, const proto::Resume& resume) {
  JobEntry* job = book_->Find(resume.job_id);
  if (job == nullptr) {
    Refuse(peer, resume.request_id, Status::NotFound("no job " + resume.job_id));
    return;
  }
  proto::ResumeReply reply;
  reply.request_id = resume.request_id;
  reply.job_id = resume.job_id;
  if (!job->active()) {
    reply.message = "job " + resume.job_id + " is " +
                    std::string(proto::EnumName(job->record.state)) + ": nothing to resume";
  } else if (secrets_.Waiting(*job)) {
    Result<std::vector<ChunkKey>> parked = secrets_.Resupply(*job, resume.headers);
    if (!parked.ok()) {
      Refuse(peer, resume.request_id, parked.status());
      return;
    }
    // Back at the front of the queue in their order: PushFront, so the last one first.
    for (auto it = parked->rbegin(); it != parked->rend(); ++it) book_->Requeue(*it);
    reply.resumed = true;
    reply.message = "job " + resume.job_id + " resumed: credential headers supplied again";
    spdlog::info("job {} resumed: its credential headers were supplied again", resume.job_id);
  } else {
    reply.message = "job " + resume.job_id + " is not waiting for anything: nothing to resume";
  }
  reply.state = job->record.state;
  Reply(peer, std::move(reply));
}

}  // namespace sieve
