// The output of a chunk that failed every attempt: each of its rows with the error label, and
// one error-report entry per row with the reason. The broker sends it to the collector as an
// ordinary RESULT, so the job completes and the rows are reported, not lost (invariant 5).
#pragma once

#include <string>

#include "broker/broker_store.h"
#include "common/status.h"
#include "proto/messages.h"

namespace sieve {

// REQUIRES: `bytes` are the chunk's spooled records. Fails with Corrupt when they do not parse
// (then nothing sensible can be written for them and the caller keeps the chunk failed).
Result<proto::ChunkResult> BuildFailedResult(const ChunkRecord& chunk, const std::string& bytes,
                                             const std::string& error_label,
                                             const std::string& reason);

}  // namespace sieve
