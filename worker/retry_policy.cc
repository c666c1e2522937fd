#include "worker/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace sieve {

std::chrono::milliseconds Backoff::Delay(int retry, std::chrono::milliseconds retry_after) {
  const int doublings = std::clamp(retry - 1, 0, 30);
  const int64_t ceiling =
      std::min<int64_t>(options_.max.count(), options_.base.count() << doublings);
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(ceiling, 0));
  const std::chrono::milliseconds jittered(jitter(rng_));
  return std::max(jittered, std::min(retry_after, options_.retry_after_max));
}

RetryBudget::RetryBudget(size_t rows, double ratio, size_t min_retries)
    : limit_(std::max(min_retries, static_cast<size_t>(std::ceil(ratio * rows)))) {}

bool RetryBudget::TryConsume() {
  if (exhausted()) return false;
  ++used_;
  return true;
}

}  // namespace sieve
