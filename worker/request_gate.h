// RequestGate: what the HTTP engine asks before every request of a rate-limited job, and tells
// after the answer (docs/limits.md). The worker's JobPermits (worker/job_permits.h) implements
// it with the broker's permits; the engine knows nothing of the broker.
//
// Thread-safety: as the engine: one thread.
#pragma once

#include <cstdint>
#include <optional>

namespace sieve {

// What an answer said about the provider's quota (429 / 503 + Retry-After, x-ratelimit-*).
struct RateLimitSignal {
  int http_status = 0;  // 429 or 503; 0: a 2xx whose headers say the quota is spent
  int64_t retry_after_ms = 0;
  std::optional<uint64_t> remaining_requests;  // x-ratelimit-remaining-requests
  int64_t reset_requests_ms = 0;               // x-ratelimit-reset-requests
};

class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // May one more request start now? (Never blocks; asks for more when running low.)
  virtual bool Ready() = 0;
  // One request starts. REQUIRES: Ready() was true just before.
  virtual void Take() = 0;
  // An answer's real token usage (prompt + completion).
  virtual void OnUsage(uint64_t tokens) = 0;
  // The endpoint said its quota is spent.
  virtual void OnRateLimited(const RateLimitSignal& signal) = 0;
};

}  // namespace sieve
