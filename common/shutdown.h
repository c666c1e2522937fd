// Shutdown on SIGINT/SIGTERM for the daemons' thin mains.
//
// RunUntilSignalled runs `run` (a component's event loop) on a worker thread and calls `stop`
// when SIGINT or SIGTERM arrives, then waits for `run` to return. The signal handler only sets
// an atomic flag (async-signal-safe); the calling thread polls it every 50 ms.
#pragma once

#include <functional>

#include "common/status.h"

namespace sieve {

// Returns the Status `run` returned. `stop` must make `run` return soon.
Status RunUntilSignalled(const std::function<Status()>& run, const std::function<void()>& stop);

}  // namespace sieve
