// The endpoint counts a worker puts in its HEARTBEAT (proto::JobEndpointCounts): what each
// member of a job's endpoint pool answered since the previous heartbeat, and whether this
// worker rests it now. The broker sums them per job for `sieve status` (broker/endpoint_tally.h).
//
// Thread-safety: call on the pool's (the engine's) thread.
#pragma once
#include <string>

#include "proto/message_parts.h"
#include "worker/endpoint_pool.h"

namespace sieve {

// Takes `pool`'s tallies (EndpointPool::TakeTallies): one EndpointCounts per member, in the
// pool's order, named without credentials.
proto::JobEndpointCounts TakeEndpointCounts(const std::string& job_id, EndpointPool& pool);

}  // namespace sieve
