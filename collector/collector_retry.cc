// Collector::SettleRetry: a finished `sieve retry` job's results go into its done job's
// output (collector/output_rebuild.h), and the broker hears the done job's new error count
// (a JOB_DONE of that already done job). A settled retry job leaves a "retry.settled" file in
// its directory, so a restart does not apply it again (applying again would change nothing:
// the rebuild is idempotent, this only saves the work).
#include <spdlog/spdlog.h>

#include "collector/collector.h"
#include "collector/output_rebuild.h"
#include "common/file_util.h"

namespace sieve {

void Collector::SettleRetry(const std::string& job_id, const JobOutput& retry) {
  if (retry.meta().retry_of.empty() || retries_settled_.contains(job_id)) return;
  const std::string marker = retry.dir() + "/retry.settled";
  if (FileSize(marker).ok()) {
    retries_settled_.insert(job_id);
    return;
  }
  const std::string& done_id = retry.meta().retry_of;
  auto it = jobs_.find(done_id);
  std::string outcome;
  if (it == jobs_.end() || !it->second->finished()) {
    outcome = "job " + done_id + " is not a finished job here: nothing rebuilt";
    spdlog::warn("retry job {}: {}", job_id, outcome);
  } else {
    Result<RebuildOutcome> rebuilt = RebuildAfterRetry(*it->second, retry);
    if (!rebuilt.ok()) {
      if (rebuilt.status().code() != Status::Code::kInvalidArgument) {
        // Disk trouble: try again on the next loop iteration, as a merge would.
        spdlog::error("retry job {}: cannot rebuild job {}'s output: {}", job_id, done_id,
                      rebuilt.status().ToString());
        return;
      }
      outcome = rebuilt.status().message();
      spdlog::warn("retry job {}: {}", job_id, outcome);
    } else {
      outcome = "applied";
      spdlog::info("job {}: output rebuilt with retry job {}: {} rows retried, {} still failed",
                   done_id, job_id, rebuilt->retried_rows, rebuilt->error_rows);
    }
    ReportDone(done_id, *it->second);  // the broker records the new error count
  }
  Status s = WriteFileAtomic(marker, outcome + "\n");
  if (!s.ok()) spdlog::warn("retry job {}: {}", job_id, s.ToString());
  retries_settled_.insert(job_id);
}

}  // namespace sieve
