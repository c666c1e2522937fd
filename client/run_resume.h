// Resume of `sieve run` (docs/architecture.md, "Resume of sieve run"): what a `sieve run
// --data-dir D` finds in D before anything starts, and what it does to continue the job it
// finds.
//
// DESIGN
// Every job in a `sieve run` data directory was made by `sieve run`, one at a time. Before the
// embedded broker starts, FindUnfinishedRun reads the broker's SQLite store in D: a job that
// is not ended (open, sealed, budget_exhausted) is the run that was interrupted (SIGKILL,
// Ctrl-C, a closed laptop) or stopped at its budget. When the new run is the same run
// (client/run_identity.h) it continues that job: no second job, and the rows committed before
// the interruption are not sent again (at most the chunks that were leased when it stopped
// are). When it is not, the run is refused with what differs and what to do, rather than
// starting a second job beside it or mixing two runs' outputs in one job. With no unfinished
// job, a new job is submitted.
//
// Continuing (ContinueRun): the job's chunks not yet stored are uploaded (a job interrupted
// while uploading is still open) and the job sealed; the credential headers the broker held in
// memory are given again and the new budget set (RESUME); then the job is followed to its end
// as a new one would be.
//
// Thread-safety: functions without shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "client/commands.h"
#include "client/submit.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

struct UnfinishedRun {
  std::string job_id;
  proto::JobState state = proto::JobState::kOpen;
  uint64_t chunks_stored = 0;  // chunks the broker holds (an open job may lack some)
  proto::JobSpec spec;         // as stored: credential headers withheld
};

// The unfinished job of `data_dir` that `wanted` (a run's spec, run_inputs set) continues;
// nullopt when the directory holds no unfinished job (or no broker store yet). Fails with
// InvalidArgument, the message naming the job, what differs and what to do, when the
// unfinished job is another run's or there are several; Corrupt/IoError when the store cannot
// be read. REQUIRES: no broker has `data_dir` open.
// Cost: reads the jobs table and the unfinished job's chunk rows.
Result<std::optional<UnfinishedRun>> FindUnfinishedRun(const std::string& data_dir,
                                                       const proto::JobSpec& wanted);

// Stores `endpoint` as the job's endpoint (a job of the bundled classifier, which listens on a
// new port in each run). REQUIRES: no broker has `data_dir` open.
Status RepointBundledJob(const std::string& data_dir, const std::string& job_id,
                         const std::string& endpoint);

// Continues `run` at the broker of `client`: uploads the chunks it lacks and seals it, gives
// its credential headers again and sets `request`'s budget when it differs, then follows it
// and fetches its output as SubmitAndFollow does.
JobOutcome ContinueRun(const ClientOptions& client, const JobRequest& request,
                       const UnfinishedRun& run, const WaitOptions& wait);

}  // namespace sieve
