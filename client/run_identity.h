// The identity of a `sieve run`: what makes a second `sieve run ... --data-dir D` the same run
// as an unfinished job in D, so that it continues that job instead of starting another
// (docs/architecture.md, "Resume of sieve run").
//
// Two runs are the same when their inputs have the same sizes and SHA-256 contents, in order,
// they are cut into chunks the same way (--chunk-rows, --chunk-bytes), and every job option is
// equal except these, which a re-run may change:
//   --max-cost, --max-tokens  the new budget applies (a run stopped at its budget continues
//                             with a larger one);
//   credential header values  only their names must match (a rotated key is fine);
//   --name                    a label for listings (it defaults to the first input's path);
//   the endpoint, when both runs use the bundled classifier (it listens on a new port).
// The inputs part travels in JobSpec.run_inputs (set by `sieve run` only), so it is stored by
// the broker with the job, atomically with its creation; the rest is the spec itself.
//
// Thread-safety: functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "client/submit.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

// JobSpec.run_inputs of a run of `request`: "sieve-run-v1 endpoint=bundled|given
// chunk_rows=N chunk_bytes=N inputs=SIZE:SHA256[,SIZE:SHA256...]". Fails with NotFound or
// IoError naming an input that cannot be read.
// Cost: one read of every input (SHA-256 runs at about 1 GB/s).
Result<std::string> RunInputsOf(const JobRequest& request, bool bundled_endpoint);

// True when a run_inputs value says the job used the bundled classifier.
bool UsesBundledEndpoint(const std::string& run_inputs);

// What differs between an unfinished job's stored spec and a new run's spec (with its
// run_inputs set), each as the option a user would change ("--endpoint (was X, now Y)",
// "the inputs (their size or content)"). Empty: the same run. Values of headers and of the
// body template are never printed.
std::vector<std::string> RunDifferences(const proto::JobSpec& stored, const proto::JobSpec& wanted);

}  // namespace sieve
