// The `sieve` CLI's exit codes (documented in README.md and `sieve --help`).
#pragma once

#include "common/status.h"

namespace sieve {

inline constexpr int kExitOk = 0;
inline constexpr int kExitJobFailed = 1;    // the job finished with failed rows, or failed
inline constexpr int kExitUsage = 2;        // bad flags, missing inputs, unknown columns
inline constexpr int kExitUnreachable = 3;  // the broker (or collector) does not answer
// The job stopped at its --max-cost / --max-tokens (state budget_exhausted): nothing was lost,
// rows not sent are not labelled; `sieve resume JOB --max-cost MORE` carries on.
inline constexpr int kExitBudgetExhausted = 4;
// The job paused: the endpoint refused its requests while running (HTTP 401/403, a key
// revoked). Nothing was lost and no row was labelled `error`; `sieve resume JOB` carries on.
inline constexpr int kExitPaused = 5;

// The exit code for a command that failed with `status`.
inline int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kUnavailable: return kExitUnreachable;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kPermissionDenied: return kExitUsage;
    default: return kExitJobFailed;
  }
}

}  // namespace sieve
