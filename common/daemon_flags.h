// The observability flags every Sieve daemon takes, so all mains spell and check them alike:
//   --log-format text|json   --log-level LEVEL   --metrics HOST:PORT (when the daemon has one)
//
// Thread-safety: plain values; call from main before starting threads.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace sieve {

struct DaemonFlags {
  std::string log_format = "text";
  std::string log_level = "info";
  std::string metrics;  // empty: no metrics server
};

inline void AddLoggingFlags(CLI::App& app, DaemonFlags& flags) {
  app.add_option("--log-format", flags.log_format, "text (human) or json (one object a line)")
      ->envname("SIEVE_LOG_FORMAT")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->envname("SIEVE_LOG_LEVEL")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
}

inline void AddDaemonFlags(CLI::App& app, DaemonFlags& flags) {
  AddLoggingFlags(app, flags);
  app.add_option("--metrics", flags.metrics,
                 "Serve Prometheus metrics (and status) on HOST:PORT; port 0 picks one")
      ->envname("SIEVE_METRICS");
}

}  // namespace sieve
