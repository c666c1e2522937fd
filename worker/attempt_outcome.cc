#include "worker/attempt_outcome.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace sieve {
namespace {

std::string Snippet(std::string_view body) {
  constexpr size_t kMax = 100;
  std::string snippet(body.substr(0, kMax));
  for (char& c : snippet) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (body.size() > kMax) snippet += "...";
  return snippet;
}

AttemptOutcome FromStatus(const TransferReport& r) {
  AttemptOutcome out;
  out.http_status = static_cast<int>(r.http_status);
  out.reason = "HTTP " + std::to_string(r.http_status);
  if (r.http_status >= 200 && r.http_status < 300) {
    out.kind = AttemptClass::kSuccess;
    return out;
  }
  const bool overloaded = r.http_status == 429 || r.http_status == 503;
  if (overloaded || r.http_status >= 500) {
    out.kind = AttemptClass::kRetryable;
    out.congestion = overloaded;
    out.retry_after = std::chrono::seconds(std::max<int64_t>(r.retry_after_seconds, 0));
    return out;
  }
  out.kind = AttemptClass::kFatal;
  if (!r.body.empty()) out.reason += ": " + Snippet(r.body);
  return out;
}

AttemptOutcome Transport(AttemptClass kind, std::string error, std::string reason) {
  AttemptOutcome out;
  out.kind = kind;
  out.transport_error = std::move(error);
  out.reason = std::move(reason);
  return out;
}

// The endpoint's certificate cannot be trusted: not retried, and endpoint-wide.
AttemptOutcome TlsTrust(std::string reason) {
  AttemptOutcome out = Transport(AttemptClass::kFatal, "tls", std::move(reason));
  out.endpoint_wide = true;
  return out;
}

std::string ErrorText(const TransferReport& r, std::string_view fallback) {
  return r.error_text.empty() ? std::string(fallback) : std::string(r.error_text);
}

}  // namespace

std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms < 1000 && ms % 100 != 0) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", static_cast<double>(ms) / 1000.0);
  return text;
}

AttemptOutcome ClassifyTransfer(const TransferReport& r) {
  switch (r.error) {
    case TransferError::kNone:
      return FromStatus(r);
    case TransferError::kTimeout:
    case TransferError::kConnectTimeout: {
      const bool connecting = r.error == TransferError::kConnectTimeout;
      AttemptOutcome out = Transport(
          AttemptClass::kRetryable, connecting ? "connect_timeout" : "timeout",
          connecting ? "connect timeout after " + FormatDuration(r.connect_timeout)
                     : "timeout after " + FormatDuration(r.timeout));
      out.congestion = true;
      return out;
    }
    case TransferError::kConnect:
      return Transport(AttemptClass::kRetryable, "connect",
                       "cannot connect: " + ErrorText(r, "connection refused"));
    case TransferError::kReset:
      return Transport(AttemptClass::kRetryable, "reset",
                       "connection reset: " + ErrorText(r, "connection broken"));
    case TransferError::kEmptyReply:
      return Transport(AttemptClass::kRetryable, "empty_reply", "server closed the connection "
                                                                "without answering");
    case TransferError::kTruncated:
      return Transport(AttemptClass::kRetryable, "truncated",
                       "truncated response: " + ErrorText(r, "the connection closed early"));
    case TransferError::kHttp2:
      return Transport(AttemptClass::kRetryable, "http2",
                       "HTTP/2 error: " + ErrorText(r, "stream error"));
    case TransferError::kTlsUntrusted:
      return TlsTrust("TLS: " + ErrorText(r, "certificate not trusted") +
                      " (signed by a private CA? pass --ca-file)");
    case TransferError::kTlsCaFile:
      return TlsTrust("TLS: the CA certificates could not be loaded: " +
                      ErrorText(r, "bad CA file"));
    case TransferError::kTooLarge:
      return Transport(AttemptClass::kFatal, "too_large",
                       "response larger than " + std::to_string(r.max_response_bytes) + " bytes");
    case TransferError::kOther:
      break;
  }
  return Transport(AttemptClass::kFatal, "other",
                   "request failed: " + ErrorText(r, "unknown error"));
}

std::string FinalReason(const AttemptOutcome& last, int attempts) {
  if (attempts <= 1) return last.reason;
  const std::string count = std::to_string(attempts) + " attempts";
  if (last.http_status != 0) return last.reason + " after " + count;
  return last.reason + " (" + count + ")";
}

}  // namespace sieve

namespace sieve {

int64_t ParseRateLimitRemaining(std::string_view value) {
  int64_t n = -1;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 0) return -1;
  return n;
}

int64_t ParseRateLimitReset(std::string_view value) {
  double total_ms = 0;
  size_t at = 0;
  bool any = false;
  while (at < value.size()) {
    size_t start = at;
    while (at < value.size() && (std::isdigit(static_cast<unsigned char>(value[at])) ||
                                 value[at] == '.')) {
      ++at;
    }
    if (at == start) return 0;
    double number = 0;
    auto [end, ec] = std::from_chars(value.data() + start, value.data() + at, number);
    if (ec != std::errc() || end != value.data() + at) return 0;
    size_t unit_start = at;
    while (at < value.size() && std::isalpha(static_cast<unsigned char>(value[at]))) ++at;
    std::string_view unit = value.substr(unit_start, at - unit_start);
    double scale = unit == "ms" ? 1 : unit == "s" || unit.empty() ? 1000 : unit == "m" ? 60000
                 : unit == "h" ? 3600000 : -1;
    if (scale < 0) return 0;
    total_ms += number * scale;
    any = true;
  }
  return any ? static_cast<int64_t>(total_ms + 0.5) : 0;
}

}  // namespace sieve
