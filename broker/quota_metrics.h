// QuotaMetrics: the broker's rate-limit metrics, per limit key (docs/limits.md):
//   sieve_broker_permits_granted_total{key}   counter, requests granted
//   sieve_broker_quota_pauses_total{key}      counter, pauses started (429s, spent quotas)
//   sieve_broker_rate_limited_total{key}      counter, 429s reported by workers
//   sieve_broker_quota_rate{key}              gauge, requests granted per second, last minute
//   sieve_broker_quota_limit{key}             gauge, the key's request limit per second (0: none)
//   sieve_broker_quota_paused{key}            gauge, 1 while the key is paused
// A key the broker forgot keeps its series with rate and paused at 0.
// Cost: O(keys) per Publish. Thread-safety: Publish from one thread (the broker loop).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "broker/quota_book.h"

namespace sieve {

class QuotaMetrics {
 public:
  explicit QuotaMetrics(prometheus::Registry& registry);
  void Publish(const std::vector<QuotaKeyStatus>& keys, int64_t now_ms);

 private:
  struct Series {
    prometheus::Counter* granted = nullptr;
    prometheus::Counter* pauses = nullptr;
    prometheus::Counter* rate_limited = nullptr;
    prometheus::Gauge* rate = nullptr;
    prometheus::Gauge* limit = nullptr;
    prometheus::Gauge* paused = nullptr;
    QuotaKeyStatus last;  // counts already published
  };
  prometheus::Family<prometheus::Counter>& granted_;
  prometheus::Family<prometheus::Counter>& pauses_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Family<prometheus::Gauge>& rate_;
  prometheus::Family<prometheus::Gauge>& limit_;
  prometheus::Family<prometheus::Gauge>& paused_;
  std::map<std::string, Series> series_;
};

}  // namespace sieve
