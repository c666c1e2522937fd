// RequestBudget: the HTTP requests one worker may have in flight across all its engines.
//
// A worker runs one HttpEngine per job (each job has its own endpoint, headers and retry
// policy), but `--concurrency` promises a bound per worker: the engines of one worker share one
// budget, and an engine starts a request only when both its own limit (fixed or adaptive) and
// the shared budget allow. Invariant: used() == the number of active requests of all the
// engines holding this budget <= capacity.
//
// Thread-safety: not thread-safe; the engines sharing a budget are driven by one thread.
#pragma once

namespace sieve {

class RequestBudget {
 public:
  // REQUIRES: capacity >= 1.
  explicit RequestBudget(int capacity) : capacity_(capacity) {}

  bool available() const { return used_ < capacity_; }
  void Acquire() { ++used_; }
  void Release() { --used_; }
  int used() const { return used_; }
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  int used_ = 0;
};

}  // namespace sieve
