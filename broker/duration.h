// ParseDuration: the broker's human durations on the command line ("90s", "15m", "1h", "7d",
// "500ms"; a bare number is seconds; "never" is -1, meaning no limit).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace sieve {

// Milliseconds, or InvalidArgument naming the text and the accepted forms. Thread-safe.
Result<int64_t> ParseDuration(const std::string& text);

}  // namespace sieve
