// Broker::OnResume: RESUME, "carry on with this job" (docs/protocol.md). Two things can hold an
// active job back that a client can undo: the broker restarted and lost the job's credential
// headers (broker/job_secrets.h), and the job's budget (broker/budget_gate.h: RESUME with
// max_cost / max_tokens sets it, and a budget_exhausted job carries on), and a pause: the
// endpoint refused the job's requests while running (broker_pause.cc; the job carries on).
// A job held back by nothing gets resumed = false and a message saying so.
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
  const bool budget_given = resume.max_cost.has_value() || resume.max_tokens.has_value();
  if (!job->active()) {
    reply.message = "job " + resume.job_id + " is " +
                    std::string(proto::EnumName(job->record.state)) + ": nothing to resume";
  } else if (budget_given && !ResumeBudget(peer, resume, *job, reply)) {
    return;  // refused
  }
  const bool was_paused = job->active() && pause_.Paused(*job);
  if (was_paused && !ResumePaused(peer, resume, *job, reply)) return;  // broker_pause.cc
  if (job->active() && secrets_.Waiting(*job)) {
    Result<std::vector<ChunkKey>> parked = secrets_.Resupply(*job, resume.headers);
    if (!parked.ok()) {
      Refuse(peer, resume.request_id, parked.status());
      return;
    }
    // Back at the front of the queue in their order: PushFront, so the last one first.
    for (auto it = parked->rbegin(); it != parked->rend(); ++it) book_->Requeue(*it);
    reply.resumed = true;
    reply.message += std::string(reply.message.empty() ? "" : "; ") + "job " + resume.job_id +
                     " resumed: credential headers supplied again";
    spdlog::info("job {} resumed: its credential headers were supplied again", resume.job_id);
  } else if (job->active() && !budget_given && !was_paused) {
    reply.message = "job " + resume.job_id + " is not waiting for anything: nothing to resume";
  }
  reply.state = job->record.state;
  Reply(peer, std::move(reply));
}

bool Broker::ResumeBudget(const std::string& peer, const proto::Resume& resume, JobEntry& job,
                          proto::ResumeReply& reply) {
  const std::string max_cost = resume.max_cost.value_or(job.spec.max_cost);
  const uint64_t max_tokens = resume.max_tokens.value_or(job.spec.max_tokens);
  proto::JobSpec next = job.spec;
  next.max_cost = max_cost;
  next.max_tokens = max_tokens;
  Result<Budget> budget = BudgetOf(next);
  Status s = budget.status();
  if (s.ok()) s = book_->SetBudget(job.record.job_id, max_cost, max_tokens);
  const bool was_exhausted = job.record.state == JobState::kBudgetExhausted;
  if (s.ok()) s = book_->SetBudgetExhausted(job.record.job_id, false);
  if (!s.ok()) {
    Refuse(peer, resume.request_id, s);
    return false;
  }
  // The gate looks at every chunk again under the new budget: those it kept go back to the
  // front of the queue in their order (PushFront, so the last one first).
  std::vector<ChunkKey> parked = budget_.Release(job.record.job_id);
  for (auto it = parked.rbegin(); it != parked.rend(); ++it) book_->Requeue(*it);
  reply.resumed = true;
  std::string limits;
  if (budget->max_cost > 0) limits += "cost " + max_cost;
  if (budget->max_tokens > 0) {
    limits += (limits.empty() ? "tokens " : ", tokens ") + std::to_string(max_tokens);
  }
  reply.message = "job " + job.record.job_id + (was_exhausted ? " resumed" : "") +
                  ": budget set to " + (limits.empty() ? "no limit" : limits);
  spdlog::info("job {}: budget set to {}{}", job.record.job_id,
               limits.empty() ? "no limit" : limits, was_exhausted ? ", dispatch resumed" : "");
  return true;
}

}  // namespace sieve
