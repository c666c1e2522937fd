#include "broker/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace sieve {

TokenBucket::TokenBucket(double per_second, double burst, int64_t now_ms)
    : per_second_(per_second), burst_(burst), refilled_ms_(now_ms) {}

void TokenBucket::Refill(int64_t now_ms) {
  if (now_ms <= refilled_ms_) return;
  level_ = std::min(burst_, level_ + per_second_ * static_cast<double>(now_ms - refilled_ms_) /
                                         1000.0);
  refilled_ms_ = now_ms;
}

uint64_t TokenBucket::Take(uint64_t want, int64_t now_ms) {
  Refill(now_ms);
  if (level_ < 1) return 0;
  uint64_t taken = std::min<uint64_t>(want, static_cast<uint64_t>(std::floor(level_)));
  level_ -= static_cast<double>(taken);
  return taken;
}

void TokenBucket::Debit(double units, int64_t now_ms) {
  Refill(now_ms);
  level_ = std::min(burst_, level_ - units);
}

void TokenBucket::EmptyAt(int64_t at_ms) {
  level_ = std::min(level_, 0.0);
  refilled_ms_ = at_ms;
}

void TokenBucket::CapAt(double units, int64_t now_ms) {
  Refill(now_ms);
  level_ = std::min(level_, units);
}

void TokenBucket::SetRate(double per_second, double burst, int64_t now_ms) {
  Refill(now_ms);
  per_second_ = per_second;
  burst_ = burst;
  level_ = std::min(level_, burst_);
}

double TokenBucket::Level(int64_t now_ms) {
  Refill(now_ms);
  return level_;
}

}  // namespace sieve
