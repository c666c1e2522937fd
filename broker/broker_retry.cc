// `sieve retry` at the broker (docs/architecture.md, "Retry of failed rows and resume").
// A retry is a job of its own whose input is the failed rows of a done job, in order; its spec
// is the done job's (so the same endpoint, template, labels and options decide the answers),
// marked with retry_of. The collector, once the retry job is finished, rebuilds the done job's
// output with the new results and tells the broker the done job's new error count with a
// JOB_DONE of that (already done) job.
#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace sieve {

Status Broker::SpecForRetry(const std::string& client, proto::JobSpec& spec) const {
  const std::string parent_id = spec.retry_of;
  Result<std::pair<JobRecord, proto::JobSpec>> parent = book_->RecordAndSpec(parent_id);
  if (!parent.ok()) {
    if (parent.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("no job " + parent_id + " to retry");
    }
    return parent.status();
  }
  const auto& [record, parent_spec] = *parent;
  if (record.client != client) {
    return Status::PermissionDenied("job " + parent_id + " belongs to another client");
  }
  if (record.state != JobState::kDone) {
    return Status::InvalidArgument("job " + parent_id + " is " +
                                      std::string(proto::EnumName(record.state)) +
                                      ": only a done job's failed rows can be retried");
  }
  proto::JobSpec retry = parent_spec;
  retry.retry_of = parent_id;
  retry.run_inputs.clear();  // not the `sieve run` of the parent: never continued as it
  retry.name = parent_spec.name.empty() ? "retry of " + parent_id
                                        : parent_spec.name + " (retry)";
  if (!spec.headers.empty()) {
    // Headers given again (the done job's credential headers were dropped when it ended):
    // they replace the stored ones, and OnSubmit withholds the credentials among them.
    retry.headers = spec.headers;
    retry.withheld_headers.clear();
  }
  spec = std::move(retry);
  return Status::Ok();
}

void Broker::OnOutputRebuilt(const proto::JobDone& done) {
  Result<std::pair<JobRecord, proto::JobSpec>> job = book_->RecordAndSpec(done.job_id);
  if (!job.ok() || job->first.state != JobState::kDone) return;
  if (done.errors >= job->first.error_rows) return;  // a repeated JOB_DONE: nothing new
  Status s = book_->SetErrorRows(done.job_id, done.errors);
  if (!s.ok()) {
    spdlog::error("job {}: cannot record its rebuilt output: {}", done.job_id, s.ToString());
    return;
  }
  spdlog::info("job {}: output rebuilt after a retry, {} error rows left (were {})", done.job_id,
               done.errors, job->first.error_rows);
}

}  // namespace sieve
