// QuotaWindow: the reference server's own per-minute quota (`--rpm N`, `--tpm N`), as hosted
// model APIs enforce one per key: a request is admitted while the requests (and tokens)
// admitted over the last 60 s stay within the limits; otherwise the server answers 429 with
// Retry-After and the x-ratelimit-* headers (docs/classifier.md), so tests see real 429s
// whenever Sieve exceeds a limit.
//
// DESIGN: a ring of 60 one-second buckets of admitted requests and tokens; the window is the
// current second and the 59 before it. A request's tokens are ceil(body bytes / 4).
// Cost: O(60) per Admit. Thread-safety: Admit is thread-safe (one mutex).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

namespace sieve::classifier {

struct QuotaVerdict {
  bool admitted = true;
  int64_t retry_after_s = 0;         // when refused: seconds until a request fits again
  uint64_t remaining_requests = 0;   // after this request (0 when refused)
  uint64_t remaining_tokens = 0;
  int64_t reset_ms = 0;              // until the oldest admitted request leaves the window
};

class QuotaWindow {
 public:
  // 0: no limit of that kind.
  QuotaWindow(uint64_t rpm, uint64_t tpm) : rpm_(rpm), tpm_(tpm) {}

  bool enabled() const { return rpm_ > 0 || tpm_ > 0; }
  QuotaVerdict Admit(uint64_t tokens, int64_t now_ms);

 private:
  void Advance(int64_t second);  // REQUIRES: mutex_ held

  const uint64_t rpm_;
  const uint64_t tpm_;
  std::mutex mutex_;
  std::array<uint64_t, 60> requests_{};  // GUARDED_BY(mutex_)
  std::array<uint64_t, 60> tokens_{};    // GUARDED_BY(mutex_)
  int64_t head_second_ = -1;             // GUARDED_BY(mutex_)
};

}  // namespace sieve::classifier
