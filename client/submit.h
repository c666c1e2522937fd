// Submitting a job: read the inputs as one logical CSV, check them, and stream their chunks to
// the broker under credit-based flow control.
//
// Memory: at most `credit` chunks are held (sent, not yet acknowledged) plus the one being
// read, whatever the input size. Bad input (malformed CSV, mismatched headers, a --fields
// column that does not exist) is reported with file, line and reason by ValidateInputs before
// anything is sent; should an input change between validation and upload, SubmitJob cancels
// the half-uploaded job at the broker so it never runs.
//
// Thread-safety: functions without shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "client/peer_connection.h"
#include "common/csv_chunker.h"
#include "common/csv_limits.h"
#include "common/status.h"
#include "proto/messages.h"

namespace sieve {

struct JobRequest {
  std::vector<std::string> inputs;
  proto::JobSpec spec;
  uint32_t chunk_rows = 1000;
  uint64_t chunk_bytes = kDefaultChunkBytes;  // a chunk ends at chunk_rows or chunk_bytes
  CsvLimits limits;
};

struct SubmittedJob {
  std::string job_id;
  uint64_t chunks = 0;
  uint64_t rows = 0;
};

// Largest --chunk-bytes: a chunk travels in one bulk frame, refused above proto::kMaxBulkBytes.
inline constexpr uint64_t kMaxChunkBytes = uint64_t{128} << 20;

// Sets request->spec.input_format and output_format (docs/jsonl.md): `input_format` and
// `output_format` as given ("csv", "jsonl" or empty), an empty one following the name of the
// first input or of `output_path` (.jsonl, .ndjson: JSON Lines), and an output without a path
// the input's format. InvalidArgument naming the flag for an unknown format.
[[nodiscard]] Status ResolveFormats(JobRequest* request, const std::string& input_format,
                                    const std::string& output_format,
                                    const std::string& output_path);

// Checks the inputs (headers, requested fields, every record) and the chunk bounds without
// contacting anyone.
// Cost: one read of every input.
Status ValidateInputs(const JobRequest& request);

// Submits, uploads and seals the job. `on_chunk(rows_uploaded)` (may be empty) is called
// after each acknowledged chunk; when it returns an error, the upload stops, the half-uploaded
// job is cancelled at the broker and that error is returned. Unavailable when the broker does
// not answer.
Result<SubmittedJob> SubmitJob(PeerConnection& broker, const JobRequest& request,
                               const std::function<Status(uint64_t)>& on_chunk);

// Resume of `sieve run` (client/run_resume.h): uploads the chunks of `request` from index
// `chunks_stored` on to the existing open job `job_id` (the broker holds the earlier ones) and
// seals it. REQUIRES: `request` cuts the inputs into the same chunks as when the job was
// submitted (same inputs, --chunk-rows, --chunk-bytes). Returns the job's totals.
Result<SubmittedJob> UploadRest(PeerConnection& broker, const JobRequest& request,
                                const std::string& job_id, uint64_t chunks_stored);

}  // namespace sieve
