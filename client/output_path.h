// The files a fetched output is written to, and the check that they can be written before a
// job is submitted or followed (design invariant 9: an error that can be known early is never
// paid for).
//
// A fetch writes OUTPUT, OUTPUT.summary.json and (when rows failed) OUTPUT.errors.csv, each
// first as NAME.partial, renamed into place only once every file is complete (job_watch.h).
//
// Thread-safety: functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace sieve {

inline constexpr const char* kSummarySuffix = ".summary.json";
inline constexpr const char* kErrorsSuffix = ".errors.csv";
inline constexpr const char* kPartialSuffix = ".partial";

// Checks that the output `output` (as given to -o) can be written, without sending anything:
// its directory exists and a file can be created in it (really created and removed, so
// read-only mounts and ACLs count), `output` is not a directory, and neither it nor the
// files written beside it (summary, errors report, their .partial names) is one of `inputs`
// (compared by device and inode, so links and other spellings of a path are caught).
// Fails with InvalidArgument and a message that says what is wrong, where, and what to do
// (exit code 2). Cost: a few stat calls per input, one file create and unlink.
[[nodiscard]] Status CheckOutputPath(const std::string& output,
                                     const std::vector<std::string>& inputs = {});

}  // namespace sieve
