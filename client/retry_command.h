// `sieve retry JOB [--wait] [-o OUTPUT]`: send a done job's failed rows again (docs/
// architecture.md, "Retry of failed rows and resume").
//
// The client fetches the job's output and errors report from its collector, writes the failed
// rows (their input fields, in order) into a temporary CSV and submits it as a retry job
// (spec.retry_of = JOB; the broker gives it JOB's spec). When the retry job is finished the
// collector rebuilds JOB's output in place. With --wait the command follows the retry job and
// then reports JOB's new error count, and with -o fetches JOB's rebuilt output. A job with no
// failed rows is left alone ("nothing to retry", exit 0).
//
// Memory: one block of the fetched output plus the failed rows' numbers.
// Thread-safety: functions without shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/commands.h"
#include "common/status.h"

namespace sieve {

struct RetryOptions {
  bool wait = false;
  std::string output;                // with wait: fetch the rebuilt output here
  std::vector<std::string> headers;  // "Key: Value", replacing the job's (its credentials)
};

// Returns the CLI exit code (client/exit_codes.h): 0 when nothing was left to retry or every
// retried row got a label, 1 when rows failed again.
int RetryCommand(const ClientOptions& client, const std::string& job_id,
                 const RetryOptions& options);

// The record without its last field (the label column `AppendColumns` added), terminator
// kept. Corrupt when the record does not parse or has a single field.
Result<std::string> WithoutLastField(std::string_view record);

// From a job's fetched output and errors report, writes `retry_csv`: the input header and
// the failed rows' input records, in order. Returns the number of rows written.
Result<uint64_t> WriteFailedRows(const std::string& output, const std::string& errors,
                                 const std::string& retry_csv);

}  // namespace sieve
