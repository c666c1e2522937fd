// FaultInjector: decides, per classify request, which fault (if any) the server simulates and
// how long it waits first. Used by tests and benchmarks to make the reference server behave
// like a slow, flaky or overloaded model server. Everything is off by default.
//
// Each Decide() call draws from one std::mt19937_64 seeded with `seed`: one draw for the jitter
// (only when jitter_ms > 0) and one uniform draw u in [0, 1) that picks the fault by cumulative
// ranges in the order fail, overload, hang, garbage. With a fixed seed, the n-th call always gets
// the same decision (which request is the n-th depends on arrival order).
//
// Thread-safety: Decide() is thread-safe (one internal mutex, held for two RNG draws).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>

#include "common/status.h"

namespace sieve::classifier {

struct FaultOptions {
  std::uint32_t latency_ms = 0;  // added to every classify request
  std::uint32_t jitter_ms = 0;   // plus a uniform extra delay in [0, jitter_ms]
  double fail_rate = 0;          // 500 with a JSON detail
  double overload_rate = 0;      // 429 with Retry-After: 1
  double hang_rate = 0;          // no answer for hang_ms (or until shutdown)
  double garbage_rate = 0;       // 200 with a body that is not JSON
  std::uint32_t hang_ms = 60000;
  std::uint64_t seed = 1;
  // Every request answered 500 during the first fail_first_ms from the first request it gets
  // (not from its start, so a slow client's first requests still see the outage): a replica
  // down for a while, then healthy. 0: never.
  std::uint32_t fail_first_ms = 0;

  // InvalidArgument unless every rate is in [0, 1] and their sum is at most 1.
  Status Validate() const;
};

enum class Fault { kNone, kFail, kOverload, kHang, kGarbage };

struct FaultDecision {
  Fault fault = Fault::kNone;
  std::chrono::milliseconds delay{0};  // latency + jitter, applied before answering
};

class FaultInjector {
 public:
  // REQUIRES: options.Validate().ok().
  explicit FaultInjector(const FaultOptions& options);

  FaultDecision Decide();

 private:
  const FaultOptions options_;
  // When the first request was decided (the fail_first_ms window starts there). GUARDED_BY(mutex_)
  std::optional<std::chrono::steady_clock::time_point> first_request_;
  std::mutex mutex_;
  std::mt19937_64 rng_;  // GUARDED_BY(mutex_)
};

}  // namespace sieve::classifier
