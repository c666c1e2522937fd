#include "classifier/quota_window.h"

#include <algorithm>

namespace sieve::classifier {

void QuotaWindow::Advance(int64_t second) {
  if (head_second_ < 0 || second - head_second_ >= 60) {
    requests_.fill(0);
    tokens_.fill(0);
  } else {
    for (int64_t s = head_second_ + 1; s <= second; ++s) {
      requests_[static_cast<size_t>(s % 60)] = 0;
      tokens_[static_cast<size_t>(s % 60)] = 0;
    }
  }
  head_second_ = std::max(head_second_, second);
}

QuotaVerdict QuotaWindow::Admit(uint64_t tokens, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t second = now_ms / 1000;
  Advance(second);
  uint64_t used_requests = 0;
  uint64_t used_tokens = 0;
  for (size_t i = 0; i < 60; ++i) {
    used_requests += requests_[i];
    used_tokens += tokens_[i];
  }
  QuotaVerdict verdict;
  const bool fits = (rpm_ == 0 || used_requests + 1 <= rpm_) &&
                    (tpm_ == 0 || used_tokens + tokens <= tpm_);
  // The oldest second still in the window that holds anything: when it leaves, room grows.
  int64_t oldest = second;
  for (int64_t s = second - 59; s <= second; ++s) {
    if (requests_[static_cast<size_t>(((s % 60) + 60) % 60)] > 0) {
      oldest = s;
      break;
    }
  }
  verdict.reset_ms = std::max<int64_t>(0, (oldest + 60) * 1000 - now_ms);
  if (!fits) {
    verdict.admitted = false;
    verdict.retry_after_s = std::max<int64_t>(1, (verdict.reset_ms + 999) / 1000);
    verdict.remaining_requests = rpm_ > used_requests ? rpm_ - used_requests : 0;
    verdict.remaining_tokens = tpm_ > used_tokens ? tpm_ - used_tokens : 0;
    return verdict;
  }
  requests_[static_cast<size_t>(second % 60)] += 1;
  tokens_[static_cast<size_t>(second % 60)] += tokens;
  verdict.remaining_requests = rpm_ > 0 ? rpm_ - used_requests - 1 : 0;
  verdict.remaining_tokens = tpm_ > 0 ? tpm_ - used_tokens - tokens : 0;
  return verdict;
}

}  // namespace sieve::classifier
