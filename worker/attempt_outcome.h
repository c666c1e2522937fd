// AttemptOutcome: what one HTTP attempt came to, and whether it may be retried.
//
// Retried: connect errors, resets, timeouts, truncated answers, 5xx and 429. Not retried: other
// statuses (4xx, 3xx), answers over the size limit, and (decided by the engine after parsing)
// malformed answers. 429, 503 and timeouts are congestion signals for the adaptive limit.
// Endpoint-wide (not retried, and every other row would fail the same way): the endpoint's TLS
// certificate is not trusted or cannot be checked.
//
// Thread-safety: pure functions over values.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sieve {

enum class AttemptClass { kSuccess, kRetryable, kFatal };

struct AttemptOutcome {
  AttemptClass kind = AttemptClass::kFatal;
  bool congestion = false;                   // 429, 503 or a timeout
  bool endpoint_wide = false;                // kFatal for every row alike (TLS trust)
  int http_status = 0;                       // 0 when no status line arrived
  std::string transport_error;               // "timeout", "connect", ... when http_status == 0
  std::string reason;                        // for the error report
  std::chrono::milliseconds retry_after{0};  // what the server asked for, 0 when nothing
};

// What curl reported about one finished transfer.
struct TransferReport {
  CURLcode code = CURLE_OK;
  long http_status = 0;
  std::string_view curl_error{};        // the CURLOPT_ERRORBUFFER text, may be empty
  bool response_too_large = false;    // the write callback refused more bytes
  int64_t retry_after_seconds = 0;    // CURLINFO_RETRY_AFTER
  std::chrono::milliseconds timeout{0};  // the configured request timeout, for the reason text
  std::chrono::milliseconds connect_timeout{0};
  std::string_view body{};            // for a snippet in the reason of a refused request
  size_t max_response_bytes = 0;
};

AttemptOutcome ClassifyTransfer(const TransferReport& report);

// The reason kept for a row whose last attempt ended as `last` after `attempts` attempts:
// "HTTP 500 after 4 attempts", "timeout after 15 s (4 attempts)", "HTTP 404: not found".
std::string FinalReason(const AttemptOutcome& last, int attempts);

// "15 s", "0.5 s", "250 ms".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace sieve
