// ConcurrencyLimiter: how many requests the engine may have in flight.
//
// Fixed mode: always the configured maximum. Adaptive mode (AIMD, as TCP congestion control):
// the limit starts at the maximum, halves on a congestion signal (HTTP 429, 503, a timeout),
// and grows by one per `limit` successful requests while the endpoint is healthy; it stays in
// [min, max]. A burst of failures from requests that were already in flight when the limit was
// cut counts once: each request is stamped with the epoch at its start, and a signal from a
// request older than the last cut is ignored.
//
// Thread-safety: not thread-safe; owned by the thread that drives the engine.
#pragma once

#include <cstdint>

namespace sieve {

class ConcurrencyLimiter {
 public:
  // REQUIRES: 1 <= min_limit <= max_limit.
  ConcurrencyLimiter(int max_limit, bool adaptive, int min_limit = 1);

  // The number of requests that may be in flight now.
  int limit() const { return static_cast<int>(limit_); }
  // Stamp for a request that starts now; pass it back to OnCongestion.
  uint64_t epoch() const { return epoch_; }

  void OnSuccess();
  void OnCongestion(uint64_t request_epoch);

 private:
  const double max_;
  const double min_;
  const bool adaptive_;
  double limit_;
  uint64_t epoch_ = 0;
};

}  // namespace sieve
