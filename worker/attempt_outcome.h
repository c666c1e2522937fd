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

// How a transfer ended, whichever transport carried it (libcurl or the native HTTP/1.1 one).
enum class TransferError {
  kNone,            // a complete response arrived (any status)
  kTimeout,         // the whole-request timeout passed
  kConnectTimeout,  // the connect timeout passed before the connection was up
  kConnect,         // cannot connect (refused, unreachable, name not resolved)
  kReset,           // the connection broke while sending or receiving
  kEmptyReply,      // the server closed the connection before any byte of an answer
  kTruncated,       // the connection closed in the middle of the answer
  kHttp2,           // HTTP/2 framing or stream error
  kTlsUntrusted,    // the server's certificate is not trusted
  kTlsCaFile,       // the CA certificates could not be loaded
  kTooLarge,        // the answer exceeds max_response_bytes
  kOther,           // anything else (malformed answer, out of memory, ...)
};

// What the transport reported about one finished transfer.
struct TransferReport {
  TransferError error = TransferError::kNone;
  long http_status = 0;
  std::string_view error_text{};      // the transport's words for the error, may be empty
  int64_t retry_after_seconds = 0;    // the Retry-After header (seconds or HTTP date), or 0
  // x-ratelimit-remaining-requests (-1: absent) and x-ratelimit-reset-requests in ms (0:
  // absent), as OpenAI-compatible providers send them; both transports read them.
  int64_t ratelimit_remaining = -1;
  int64_t ratelimit_reset_ms = 0;
  std::string_view body{};            // the answer; a snippet goes in a refusal's reason
  std::chrono::microseconds duration{0};  // from the start to the end of the transfer
  // The configured limits, for the reasons' wording: the engine sets them from its options.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds connect_timeout{0};
  size_t max_response_bytes = 0;
};

AttemptOutcome ClassifyTransfer(const TransferReport& report);

// The reason kept for a row whose last attempt ended as `last` after `attempts` attempts:
// "HTTP 500 after 4 attempts", "timeout after 15 s (4 attempts)", "HTTP 404: not found".
std::string FinalReason(const AttemptOutcome& last, int attempts);

// x-ratelimit-remaining-requests: a non-negative integer, else -1 (absent or malformed).
int64_t ParseRateLimitRemaining(std::string_view value);
// x-ratelimit-reset-requests: "20ms", "1s", "6m0s", "1.5s", "2" (seconds) -> milliseconds;
// 0 when absent or malformed.
int64_t ParseRateLimitReset(std::string_view value);

// "15 s", "0.5 s", "250 ms".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace sieve
