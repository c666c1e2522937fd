// Following a job to its end and fetching its output.
//
// WaitForJob polls STATUS every `poll` until the job is done, cancelled or failed, or stopped at
// its budget (budget_exhausted) or paused (the endpoint refused it while running): both wait
// for `sieve resume`; feeding a ProgressReporter, or a JobControl (client/job_control.h) that
// may ask it to cancel the job. A done job whose collector the broker does not know yet (it
// restarted, and the collector's next heartbeat registers it again) is polled up to 15 s more.
// FetchOutput streams a finished output from the collector named in the job's status into `path`,
// with the summary and, when rows failed, the errors report beside it as `path.summary.json` and
// `path.errors.csv`. Each is written to NAME.partial and fsynced; only when all are complete are
// they renamed into place, the output last. On any failure (disk full, permissions changed,
// collector gone) every .partial file is removed, so nothing incomplete looks like an output, and
// the job's results stay at the collector to be fetched again.
//
// Thread-safety: functions without shared state.
#pragma once

#include <chrono>
#include <string>

#include <zmq.hpp>

#include "client/job_control.h"
#include "client/peer_connection.h"
#include "client/progress.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

Result<proto::JobStatus> QueryJob(PeerConnection& broker, const std::string& job_id);

// Sends CANCEL for `job_id`. Fails as PeerConnection::Call does (Unavailable: no answer).
Status CancelJob(PeerConnection& broker, const std::string& job_id);

// Follows `job_id` to its end (see above). With `control`, each status seen is published to
// it, and once control->cancel_requested() the job is cancelled at the broker (CancelJob) and
// Cancelled is returned (or CancelJob's failure). `progress` and `control` may be null.
Result<proto::JobStatus> WaitForJob(
    PeerConnection& broker, const std::string& job_id, ProgressReporter* progress,
    JobControl* control = nullptr, std::chrono::milliseconds poll = std::chrono::milliseconds(500));

// Downloads the output (and summary, and errors report when there are failed rows) of the
// finished job from its collector, over CURVE when `curve` is on. Fails with InvalidArgument
// (the job is not done), Unavailable (no collector known or answering) or IoError naming the
// file and errno text (cannot write); see the DESIGN note above for what is left on failure.
Status FetchOutput(zmq::context_t& context, const proto::JobStatus& status,
                   const std::string& path, const CurveConfig& curve);

}  // namespace sieve
