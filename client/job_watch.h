// Following a job to its end and fetching its output.
//
// WaitForJob polls STATUS every `poll` until the job is done, cancelled or failed, feeding a
// ProgressReporter. FetchOutput streams a finished output from the collector named in the
// job's status into `path` (written to `path.partial`, then renamed: a reader never sees a
// partial output), then fetches the summary and, when rows failed, the errors report, beside it
// as `path.summary.json` and `path.errors.csv`.
//
// Thread-safety: functions without shared state.
#pragma once

#include <chrono>
#include <string>

#include <zmq.hpp>

#include "client/peer_connection.h"
#include "client/progress.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

Result<proto::JobStatus> QueryJob(PeerConnection& broker, const std::string& job_id);

Result<proto::JobStatus> WaitForJob(PeerConnection& broker, const std::string& job_id,
                                    ProgressReporter* progress,
                                    std::chrono::milliseconds poll = std::chrono::milliseconds(500));

// Downloads the output (and summary, and errors report when there are failed rows) of the
// finished job from its collector, over CURVE when `curve` is on.
Status FetchOutput(zmq::context_t& context, const proto::JobStatus& status,
                   const std::string& path, const CurveConfig& curve);

}  // namespace sieve
