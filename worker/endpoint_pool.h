// EndpointPool: which replica of a job's endpoint pool a request goes to, and which replicas are
// resting (docs/architecture.md, "The endpoint pool").
//
// DESIGN: a small state machine per endpoint, driven by the engine's thread.
//   - Balancing: Pick returns the available endpoint with the lowest score
//     (outstanding + 1) x latency, where latency is an EWMA of the endpoint's successful
//     answers (an endpoint without one yet borrows the fastest known; an idle one's estimate
//     fades toward the fastest, so it is measured again). In a steady state a
//     replica twice as slow holds half as many requests, so a slow replica gets less work and
//     a fast one more. Ties go round robin.
//   - Passive health: `failure_threshold` retryable failures in a row (connect errors, resets,
//     timeouts, 5xx) put an endpoint in cooldown for cooldown_base x 2^(trips-1), at most
//     cooldown_max. When the cooldown ends the endpoint is half-open: it takes one request
//     at a time (the probe) until one succeeds (healthy again, trips reset) or fails (the
//     next, longer cooldown).
//   - A 429 (or 503 with Retry-After) rests the endpoint for its Retry-After (1 s without one)
//     without counting against its health: load moves to the others.
//   - Pick(avoid) skips the endpoints in `avoid` (those that already failed the request) while
//     another is available, so a row's retry goes to another healthy endpoint. When every
//     endpoint rests (all cooling down or rate limited) the pool ignores health (a "panic"
//     pick, as Envoy does) and the engine's backoff alone paces the retries, so a pool that is
//     wholly down behaves as a single endpoint that is down.
// Cost: Pick and every On* are O(endpoints) at most (endpoints <= kMaxEndpoints).
//
// Thread-safety: not thread-safe; owned by one engine's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace sieve {

struct EndpointPoolOptions {
  int failure_threshold = 3;                      // retryable failures in a row to cool down
  std::chrono::milliseconds cooldown_base{1'000};  // the first cooldown
  std::chrono::milliseconds cooldown_max{30'000};  // cooldowns double up to this
  std::chrono::milliseconds rate_limit_rest{1'000};  // a 429 without Retry-After rests this long
  double latency_weight = 0.2;                    // EWMA weight of the newest latency sample
  // An idle endpoint's latency estimate fades toward the pool's fastest with this half-life,
  // so one slow answer does not starve it of the requests that would measure it again.
  std::chrono::milliseconds latency_half_life{1'000};
};

class EndpointPool {
 public:
  static constexpr size_t kMaxEndpoints = 64;  // a request's tried endpoints fit a bit mask

  enum class Answer {
    kSuccess,      // a usable answer (2xx)
    kFailure,      // retryable and the endpoint's fault: connect, reset, timeout, 5xx
    kRateLimited,  // 429, or 503 with Retry-After
    kNeutral,      // the endpoint answered, but not usefully for this row (4xx, bad body)
  };

  // REQUIRES: 1 <= urls.size() <= kMaxEndpoints. `clock` must outlive the pool.
  EndpointPool(std::vector<std::string> urls, EndpointPoolOptions options, const Clock& clock);

  // The endpoint for the next request, avoiding those in the bit mask `avoid` while another
  // is available (see DESIGN). Counts the request as outstanding there until Finish.
  int Pick(uint64_t avoid);
  // A request started by Pick on `endpoint` ended as `answer` after `latency`; `retry_after`
  // is what a rate-limited answer asked for (0: nothing).
  void Finish(int endpoint, Answer answer, std::chrono::microseconds latency,
              std::chrono::milliseconds retry_after = std::chrono::milliseconds(0));
  // How the requests sent to one endpoint ended, counted by Finish (a dropped one is not).
  struct Tally {
    uint64_t answered = 0;      // kSuccess
    uint64_t failed = 0;        // kFailure
    uint64_t rate_limited = 0;  // kRateLimited
    uint64_t refused = 0;       // kNeutral
  };
  // Each endpoint's tally since the previous call (or since the pool was made), by index;
  // the pool's tallies start again from zero.
  std::vector<Tally> TakeTallies();
  // A request started by Pick was dropped (cancelled) without an answer.
  void Forget(int endpoint);

  // True when an endpoint not in `avoid` is available now (healthy, not resting).
  bool AnyAvailable(uint64_t avoid) const;
  // True when `endpoint` is cooling down after failures (not merely rate limited).
  bool in_cooldown(int endpoint) const;
  int outstanding(int endpoint) const { return state_[endpoint].outstanding; }
  // The latency EWMA in ms, 0 before the first successful answer.
  double latency_ms(int endpoint) const { return state_[endpoint].latency_ms; }
  size_t size() const { return urls_.size(); }
  const std::string& url(int endpoint) const { return urls_[endpoint]; }
  // The URL with any user:password@ taken out: for metrics labels and reasons.
  const std::string& name(int endpoint) const { return names_[endpoint]; }
  uint64_t all_mask() const;
  // "http://a/classify, http://b/classify": the endpoints of `mask`, for a row's reason.
  std::string Names(uint64_t mask) const;

 private:
  struct State {
    int outstanding = 0;
    double latency_ms = 0;          // EWMA of successful answers; 0: no sample yet
    int64_t last_answer_ms = 0;     // when the last request finished
    int failures_in_a_row = 0;
    int trips = 0;                  // cooldowns since the last success
    int64_t cooldown_until_ms = 0;  // resting after failures until then
    int64_t rate_limited_until_ms = 0;
    bool probing = false;           // half-open: its one request is out
  };

  bool Available(const State& s, int64_t now) const;
  bool HalfOpen(const State& s, int64_t now) const {
    return s.trips > 0 && s.cooldown_until_ms <= now;
  }
  // The latency a pick assumes for `s`: its EWMA, faded toward `fastest` while idle.
  double Estimate(const State& s, double fastest, int64_t now) const;
  // The lowest score among endpoints `eligible` says yes to; -1 when none.
  template <typename Eligible>
  int Best(Eligible eligible);
  void CoolDown(State& s, int64_t now);

  const std::vector<std::string> urls_;
  std::vector<std::string> names_;
  const EndpointPoolOptions options_;
  const Clock& clock_;
  std::vector<State> state_;
  std::vector<Tally> tallies_;  // since the last TakeTallies
  size_t next_tie_ = 0;  // round robin among equal scores
};

}  // namespace sieve
