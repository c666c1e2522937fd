#include "broker/quota_metrics.h"

namespace sieve {

QuotaMetrics::QuotaMetrics(prometheus::Registry& registry)
    : granted_(prometheus::BuildCounter()
                   .Name("sieve_broker_permits_granted_total")
                   .Help("Request permits granted, by limit key")
                   .Register(registry)),
      pauses_(prometheus::BuildCounter()
                  .Name("sieve_broker_quota_pauses_total")
                  .Help("Cluster-wide pauses of a limit key (a 429 or a spent provider quota)")
                  .Register(registry)),
      rate_limited_(prometheus::BuildCounter()
                        .Name("sieve_broker_rate_limited_total")
                        .Help("429s (or 503s with Retry-After) reported by workers, by key")
                        .Register(registry)),
      rate_(prometheus::BuildGauge()
                .Name("sieve_broker_quota_rate")
                .Help("Requests granted per second over the last minute, by limit key")
                .Register(registry)),
      limit_(prometheus::BuildGauge()
                 .Name("sieve_broker_quota_limit")
                 .Help("A limit key's request limit per second (0: tokens only)")
                 .Register(registry)),
      paused_(prometheus::BuildGauge()
                  .Name("sieve_broker_quota_paused")
                  .Help("1 while a limit key is paused cluster-wide")
                  .Register(registry)) {}

void QuotaMetrics::Publish(const std::vector<QuotaKeyStatus>& keys, int64_t now_ms) {
  // A key forgotten (its jobs ended) keeps its series, but neither paused nor granting: a key
  // whose last job ended during a pause must not stay "paused" (SieveRateLimitKeyMostlyPaused).
  for (auto& entry : series_) {
    entry.second.paused->Set(0);
    entry.second.rate->Set(0);
  }
  for (const QuotaKeyStatus& key : keys) {
    auto [it, inserted] = series_.try_emplace(key.key);
    Series& s = it->second;
    if (inserted) {
      const prometheus::Labels labels{{"key", key.key}};
      s.granted = &granted_.Add(labels);
      s.pauses = &pauses_.Add(labels);
      s.rate_limited = &rate_limited_.Add(labels);
      s.rate = &rate_.Add(labels);
      s.limit = &limit_.Add(labels);
      s.paused = &paused_.Add(labels);
    }
    // The book's counts only grow while the key lives; a key forgotten and met again starts
    // from zero, and the counters simply go on from where they were.
    auto grow = [](prometheus::Counter* c, uint64_t now, uint64_t& last) {
      if (now > last) c->Increment(static_cast<double>(now - last));
      last = now;
    };
    grow(s.granted, key.granted, s.last.granted);
    grow(s.pauses, key.pauses, s.last.pauses);
    grow(s.rate_limited, key.rate_limited, s.last.rate_limited);
    s.rate->Set(key.requests_per_second);
    s.limit->Set(key.limits.requests ? key.limits.requests->per_second : 0);
    s.paused->Set(key.paused_until_ms > now_ms ? 1 : 0);
  }
}

}  // namespace sieve
