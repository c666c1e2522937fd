// Retry policy pieces: how long to wait before a retry (exponential backoff with full jitter,
// honouring Retry-After) and how many retries a chunk may spend (a retry budget that stops
// retry storms when the endpoint is down).
//
// Thread-safety: not thread-safe; each is owned by the one thread that drives the engine.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>

namespace sieve {

struct BackoffOptions {
  std::chrono::milliseconds base{100};               // the first retry waits up to this
  std::chrono::milliseconds max{10'000};             // the exponential growth stops here
  std::chrono::milliseconds retry_after_max{60'000};  // a longer Retry-After is capped to this
};

// "Full jitter" backoff: the delay before retry n (n >= 1) is uniform in
// [0, min(max, base * 2^(n-1))]; when the server sent Retry-After, the delay is at least that
// (capped at retry_after_max). Deterministic for a given seed.
class Backoff {
 public:
  Backoff(BackoffOptions options, uint64_t seed) : options_(options), rng_(seed) {}

  // REQUIRES: retry >= 1, retry_after >= 0.
  std::chrono::milliseconds Delay(int retry, std::chrono::milliseconds retry_after);

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
};

// The retries one chunk may spend: max(min_retries, ratio * rows). Once spent, failures are
// final, and the engine stops sending the chunk's remaining rows after a streak of failures.
class RetryBudget {
 public:
  RetryBudget(size_t rows, double ratio, size_t min_retries);

  // Takes one retry from the budget; false (and takes nothing) when it is spent.
  bool TryConsume();
  bool exhausted() const { return used_ >= limit_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t used_ = 0;
};

}  // namespace sieve
