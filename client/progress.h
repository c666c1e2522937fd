// ProgressReporter: what `sieve submit --wait` and `sieve run` show while a job runs.
//
// On a terminal: one line redrawn in place (bar, rows done/total, rows/s, errors, ETA).
// Otherwise (logs, CI): a plain line at most every `plain_interval`, and one at the end.
//
// Thread-safety: not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "proto/message_parts.h"

namespace sieve {

class ProgressReporter {
 public:
  ProgressReporter(std::FILE* out, bool terminal,
                   std::chrono::seconds plain_interval = std::chrono::seconds(5));
  // Shows `status` if it is time to; `final` forces a last line.
  void Update(const proto::JobStatus& status, bool final = false);

  // The line for `status` after `elapsed` (exposed for tests).
  static std::string Format(const proto::JobStatus& status, std::chrono::milliseconds elapsed,
                            bool with_bar);

 private:
  std::FILE* out_;
  bool terminal_;
  std::chrono::seconds plain_interval_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_{};
};

}  // namespace sieve
