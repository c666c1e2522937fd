// Clock: where Sieve gets time, behind an interface so lease, heartbeat and retry logic can be
// driven deterministically by tests (FakeClock) instead of by sleeping.
//
// Thread-safety: SystemClock is thread-safe; FakeClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <cstdint>

namespace sieve {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds, for deadlines and intervals. Never goes backwards.
  virtual int64_t NowMs() const = 0;
  // Wall-clock milliseconds since the Unix epoch, for timestamps shown to people.
  virtual int64_t WallMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t WallMs() const override;
  // A process-wide instance (stateless, so sharing it is safe).
  static const Clock& Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t WallMs() const override { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace sieve
