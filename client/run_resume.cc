#include "client/run_resume.h"

#include <filesystem>
#include <vector>

#include "broker/broker_store.h"
#include "broker/job_book.h"
#include "client/broker_request.h"
#include "client/exit_codes.h"
#include "client/run_identity.h"
#include "client/submit.h"

namespace sieve {
namespace {

std::string StorePath(const std::string& data_dir) { return data_dir + "/broker/broker.db"; }

bool Unfinished(JobState state) {
  return state == JobState::kOpen || state == JobState::kSealed ||
         state == JobState::kBudgetExhausted;
}

// The refusal when `data_dir` holds an unfinished job that is another run's.
Status OtherRun(const std::string& data_dir, const std::string& job_id,
                const std::vector<std::string>& differences) {
  std::string what;
  for (const std::string& d : differences) what += "\n  " + d;
  return Status::InvalidArgument(
      data_dir + " holds job " + job_id + ", unfinished, which another sieve run started; " +
      "this run differs from it in:" + what +
      "\nsieve does not start a second job beside it nor mix the two in one output. Either "
      "finish job " +
      job_id +
      " by running the command that started it again (same inputs "
      "and options; only --max-cost and --max-tokens may change), or give this run another "
      "--data-dir (the job's results so far stay in " +
      data_dir + "; remove that directory once you no longer need them)");
}

}  // namespace

Result<std::optional<UnfinishedRun>> FindUnfinishedRun(const std::string& data_dir,
                                                       const proto::JobSpec& wanted) {
  if (!std::filesystem::exists(StorePath(data_dir))) return std::optional<UnfinishedRun>();
  Result<std::unique_ptr<BrokerStore>> store = BrokerStore::Open(StorePath(data_dir));
  if (!store.ok()) return store.status();
  Result<std::vector<JobRecord>> jobs = (*store)->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  std::vector<const JobRecord*> unfinished;
  for (const JobRecord& job : *jobs) {
    if (Unfinished(job.state)) unfinished.push_back(&job);
  }
  if (unfinished.empty()) return std::optional<UnfinishedRun>();
  if (unfinished.size() > 1) {
    std::string ids;
    for (const JobRecord* job : unfinished) ids += (ids.empty() ? "" : ", ") + job->job_id;
    return Status::InvalidArgument(
        data_dir + " holds " + std::to_string(unfinished.size()) + " unfinished jobs (" + ids +
        "), left by an older sieve that started a new job on each run; sieve cannot tell which "
        "one this run continues. Give this run another --data-dir (and remove " +
        data_dir + " once you no longer need its results)");
  }
  const JobRecord& record = *unfinished.front();
  Result<proto::JobSpec> spec = DecodeJobSpec(record.spec);
  if (!spec.ok()) return spec.status();
  std::vector<std::string> differences = RunDifferences(*spec, wanted);
  if (!differences.empty()) return OtherRun(data_dir, record.job_id, differences);
  Result<StoredJob> stored = (*store)->LoadStoredJob(record.job_id);
  if (!stored.ok()) return stored.status();
  return std::optional<UnfinishedRun>(
      UnfinishedRun{record.job_id, record.state, stored->chunks, std::move(*spec)});
}

Status RepointBundledJob(const std::string& data_dir, const std::string& job_id,
                         const std::string& endpoint) {
  Result<std::unique_ptr<BrokerStore>> store = BrokerStore::Open(StorePath(data_dir));
  if (!store.ok()) return store.status();
  Result<StoredJob> job = (*store)->LoadStoredJob(job_id);
  if (!job.ok()) return job.status();
  Result<proto::JobSpec> spec = DecodeJobSpec(job->record.spec);
  if (!spec.ok()) return spec.status();
  spec->endpoint = endpoint;
  spec->endpoints.clear();
  return (*store)->SetJobSpec(job_id, EncodeJobSpec(*spec));
}

namespace {

// RESUME with the run's credential headers (when the broker withholds some: it lost them when
// it stopped) and its budget (when it changed). Nothing to say: OK without a message.
Status ResumeAtBroker(PeerConnection& broker, const JobRequest& request, const UnfinishedRun& run,
                      JobControl* control) {
  proto::Resume resume;
  resume.job_id = run.job_id;
  bool needed = false;
  if (!run.spec.withheld_headers.empty()) {
    resume.headers = request.spec.headers;  // the broker keeps the withheld ones only
    needed = true;
  }
  if (request.spec.max_cost != run.spec.max_cost) {
    resume.max_cost = request.spec.max_cost;
    needed = true;
  }
  if (request.spec.max_tokens != run.spec.max_tokens) {
    resume.max_tokens = request.spec.max_tokens;
    needed = true;
  }
  if (!needed) return Status::Ok();
  uint64_t id = broker.NextRequestId();
  resume.request_id = id;
  Result<proto::Message> reply = broker.Call(std::move(resume), id, kBrokerReplyTimeout);
  if (!reply.ok()) return reply.status();
  if (const auto* error = std::get_if<proto::ErrorReply>(&*reply)) {
    return StatusFromError(*error, broker.endpoint());
  }
  if (const auto* resumed = std::get_if<proto::ResumeReply>(&*reply)) {
    Tell(control, "sieve: %s\n", resumed->message.c_str());
  }
  return Status::Ok();
}

}  // namespace

JobOutcome ContinueRun(const ClientOptions& client, const JobRequest& request,
                       const UnfinishedRun& run, const WaitOptions& wait) {
  JobOutcome outcome{kExitOk, run.job_id, false};
  Tell(client.control,
       "sieve: continuing job %s (%s), which an earlier run of this command "
       "started in this data directory\n",
       run.job_id.c_str(), std::string(proto::EnumName(run.state)).c_str());
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  Status s = broker.status();
  if (s.ok() && run.state == JobState::kOpen) {
    Result<SubmittedJob> uploaded = UploadRest(*broker, request, run.job_id, run.chunks_stored);
    s = uploaded.status();
    if (s.ok() && uploaded->chunks > run.chunks_stored) {
      Tell(client.control, "sieve: uploaded the %llu chunks it lacked\n",
           static_cast<unsigned long long>(uploaded->chunks - run.chunks_stored));
    }
  }
  if (s.ok()) s = ResumeAtBroker(*broker, request, run, client.control);
  if (!s.ok()) {
    outcome.exit_code = FailCommand(s, client.control);
    return outcome;
  }
  Print(client.control, "%s\n", run.job_id.c_str());
  return FollowJob(context, client, *broker, run.job_id, wait);
}

}  // namespace sieve
