// Rebuilding a done job's output after `sieve retry` (docs/architecture.md, "Retry of failed
// rows and resume").
//
// DESIGN
// A retry job's input is the failed rows of a done job, in order, so its row k is the done
// job's k-th failed row (the k-th line of the done job's errors report). Once the retry job
// is finished, RebuildAfterRetry rewrites the done job's files in one streaming pass over its
// output and the retry job's output: every row the same bytes and order, the failed rows
// replaced by the retry job's records; the errors report holds the rows that failed again
// (with the done job's row numbers); the summary counts them, adds the retry's retries and
// tokens, and lists the retry job in "retried_by".
// Crash safety: the mapping (the failed rows) is first written to rebuild.json in the done
// job's directory; the new files are written beside the old ones, fsynced and renamed into
// place (output, errors report, then the summary, which names the retry job); rebuild.json is
// removed last. Run again after a crash at any point, it finishes the same rebuild from
// rebuild.json; run again after it finished, the summary names the retry job and nothing
// changes. A retry job that no longer matches the done job (its rows are not the done job's
// failed rows, e.g. another retry was applied first) is refused with InvalidArgument.
// Memory: one block of each output plus the errors reports' row numbers.
//
// Thread-safety: functions; the caller owns both JobOutputs.
#pragma once

#include <cstdint>

#include "collector/job_output.h"
#include "common/status.h"

namespace sieve {

struct RebuildOutcome {
  bool already = false;     // the summary already named the retry job: nothing was done
  uint64_t retried_rows = 0;
  uint64_t error_rows = 0;  // the done job's error rows now
};

// REQUIRES: done.finished(), retry.finished().
Result<RebuildOutcome> RebuildAfterRetry(JobOutput& done, const JobOutput& retry);

}  // namespace sieve
