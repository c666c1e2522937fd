// CancelToken: a flag one thread raises and the thread driving the HTTP engine observes.
//
// Thread-safety: Cancel() and cancelled() may be called from any thread.
#pragma once

#include <atomic>

namespace sieve {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace sieve
