#include "worker/concurrency_limiter.h"

#include <algorithm>

namespace sieve {

ConcurrencyLimiter::ConcurrencyLimiter(int max_limit, bool adaptive, int min_limit)
    : max_(max_limit), min_(min_limit), adaptive_(adaptive), limit_(max_limit) {}

void ConcurrencyLimiter::OnSuccess() {
  if (!adaptive_) return;
  limit_ = std::min(max_, limit_ + 1.0 / limit_);
}

void ConcurrencyLimiter::OnCongestion(uint64_t request_epoch) {
  if (!adaptive_ || request_epoch < epoch_) return;
  limit_ = std::max(min_, limit_ / 2);
  ++epoch_;
}

}  // namespace sieve
