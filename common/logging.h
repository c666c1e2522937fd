// Logging setup shared by every Sieve program: one stderr logger, human-readable text or one
// JSON object per line for log shippers (--log-format json).
//
// JSON lines look like
//   {"time":"2024-05-01T12:00:00.123Z","level":"info","logger":"sieve-broker",
//    "msg":"job j0123456789abcdef chunk 4: lease 1 expired","job":"j0123456789abcdef","chunk":4}
// "job" and "chunk" are lifted from the message text ("job <id>", "chunk <n>"), so every line
// that names a job or chunk carries them as fields without changing the log calls. Messages
// are escaped as JSON strings (invalid UTF-8 is replaced by U+FFFD).
//
// Thread-safety: ConfigureLogging once at start-up, before other threads log.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

// Installs the default spdlog logger named `name` writing to stderr. `format` is "text" or
// "json"; `level` an spdlog level name (trace, debug, info, warn, error, critical, off).
// InvalidArgument on an unknown format or level (nothing is changed then).
Status ConfigureLogging(const std::string& name, std::string_view format, std::string_view level);

// The JSON line (without the newline) for one message; what the json format writes.
// `epoch_ms` is the time in milliseconds since the Unix epoch.
std::string FormatJsonLogLine(int64_t epoch_ms, std::string_view level, std::string_view logger,
                              std::string_view message);

}  // namespace sieve
