// JSON renderings of the status replies: what `sieve status --json` / `sieve workers --json`
// print and what the broker's HTTP status API serves, so both always agree.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "proto/message_parts.h"

namespace sieve::proto {

nlohmann::json ToJson(const JobStatus& status);
nlohmann::json ToJson(const WorkerInfo& worker);

}  // namespace sieve::proto
