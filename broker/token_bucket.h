// TokenBucket: a rate with a burst, in whole units (requests or tokens).
//
// DESIGN
// The level grows at `rate` per second up to `burst` and shrinks by what is taken. Take never
// takes more than the level holds, so over any window of T seconds at most rate*T + burst is
// taken. Debit may push the level below zero (a correction after the fact: a request used more
// tokens than estimated); nothing can be taken until it has refilled past zero, so corrections
// are paid back, not forgotten. A bucket starts EMPTY: a restarted broker grants nothing it
// cannot afford, whatever was granted before it died.
//
// Cost: O(1) per call. Thread-safety: not thread-safe (owned by the broker loop).
#pragma once

#include <cstdint>

namespace sieve {

class TokenBucket {
 public:
  // REQUIRES: per_second > 0, burst >= 1.
  TokenBucket(double per_second, double burst, int64_t now_ms);

  // Takes up to `want` whole units; returns how many were taken.
  uint64_t Take(uint64_t want, int64_t now_ms);
  // Removes `units` (may go below zero), or gives them back when negative (capped at burst).
  void Debit(double units, int64_t now_ms);
  // Empties the bucket as of `at_ms` and refills only from then on (a pause that ends at
  // `at_ms` resumes from nothing, gently). Debts (a level below zero) are kept.
  void EmptyAt(int64_t at_ms);
  // Caps the level at `units` (a provider says only that many remain).
  void CapAt(double units, int64_t now_ms);
  // Changes the rate and burst, keeping the level (capped at the new burst).
  void SetRate(double per_second, double burst, int64_t now_ms);

  double Level(int64_t now_ms);
  double per_second() const { return per_second_; }
  double burst() const { return burst_; }

 private:
  void Refill(int64_t now_ms);

  double per_second_;
  double burst_;
  double level_ = 0;
  int64_t refilled_ms_;
};

}  // namespace sieve
