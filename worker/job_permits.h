// JobPermits: one rate-limited job's permits at one worker (docs/limits.md). The engine asks
// it before every request; it asks the broker ahead of need, spends permits, drops them when
// they expire or the broker voids them, and reports 429s and token usage.
//
// DESIGN
// Permits come in grants (PERMIT_GRANT: a count valid for ttl_ms from receipt; this side uses
// 90 % of the TTL, so clock skew and transit never stretch a permit past the broker's view).
// Ready() is true when a live permit is held; when fewer than half of `want` are held and the
// engine wants to send, one PERMIT_ASK is in flight at a time (re-sent after kAskTimeoutMs if
// lost, e.g. while the broker restarts; an empty grant waits kEmptyRetryMs, a pause until it
// ends). So the engine never sends without a permit, and asks before it runs dry.
// A 429 (or 503 with Retry-After) drops every permit here, pauses this job locally for the
// Retry-After (at least 1 s) and sends RATE_LIMITED once per pause; the broker pauses the key
// for every worker (PERMITS_VOID). Token usage of answers is summed against what their
// permits charged and reported with the next ask.
//
// Cost: O(1) amortised per call (grants are a short deque).
// Thread-safety: not thread-safe; the worker loop (and the engines it drives) use it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "proto/codec.h"
#include "worker/request_gate.h"

namespace sieve {

// True when the job's spec asks for rate limiting (then every request needs a permit).
inline bool NeedsPermits(const proto::JobSpec& spec) {
  return !spec.rate.empty() || !spec.token_rate.empty() || !spec.limit_key.empty();
}

// Counts of every gate of one worker (its metrics).
struct PermitCounters {
  uint64_t waits = 0;         // times an engine had work but no permit
  uint64_t wait_ms = 0;       // time spent so
  uint64_t rate_limited = 0;  // 429s (503 + Retry-After) seen
  uint64_t asks = 0;          // PERMIT_ASKs sent
};

class JobPermits : public RequestGate {
 public:
  using Send = std::function<void(proto::Message)>;
  static constexpr int64_t kAskTimeoutMs = 1000;
  static constexpr int64_t kEmptyRetryMs = 50;
  static constexpr int64_t kMinPauseMs = 1000;

  // `want`: permits asked at a time (the job's concurrency). `tokens_each`: the estimate of
  // one request's tokens (prompt + completion), sent with every ask.
  // `counters` (not owned, must outlive this) gathers the worker's counts.
  JobPermits(std::string job_id, const Clock& clock, Send send, uint32_t want,
             uint64_t tokens_each, PermitCounters* counters);

  // May one more request start now? Asks the broker when running low. Counts permit waits.
  bool Ready() override;
  // One request starts: spends a permit. REQUIRES: Ready() was true just before.
  void Take() override;
  // An answer's real token usage (prompt + completion) for a request this gate let through.
  void OnUsage(uint64_t tokens) override;
  // The endpoint said its quota is spent.
  void OnRateLimited(const RateLimitSignal& signal) override;

  void OnGrant(const proto::PermitGrant& grant);
  void OnVoid(const proto::PermitsVoid& void_message);

  uint64_t held();  // live permits now

 private:
  struct Grant {
    uint64_t left = 0;
    int64_t expires_ms = 0;
  };
  void DropExpired(int64_t now);
  void MaybeAsk(int64_t now);

  const std::string job_id_;
  const Clock& clock_;
  Send send_;
  const uint32_t want_;
  const uint64_t tokens_each_;
  std::deque<Grant> grants_;
  bool unlimited_ = false;
  int64_t ask_sent_ms_ = -1;  // an ask is in flight since then; -1: none
  int64_t next_ask_ms_ = 0;
  int64_t paused_until_ms_ = 0;
  int64_t reported_until_ms_ = 0;  // a RATE_LIMITED was sent for the pause ending then
  uint64_t charge_each_ = 0;       // tokens the broker charged per permit (last grant)
  uint64_t tokens_actual_ = 0;     // since the last ask
  uint64_t tokens_charged_ = 0;
  int64_t waiting_since_ms_ = -1;
  PermitCounters* counters_;
};

}  // namespace sieve
