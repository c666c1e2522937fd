// QuotaMetrics (broker/quota_metrics.h): per-key series from the quota book's status, and a
// forgotten key neither paused nor granting (so SieveRateLimitKeyMostlyPaused cannot stick).
#include "broker/quota_metrics.h"

#include <gtest/gtest.h>

#include "tests/unit/common/metrics_test_util.h"

namespace sieve::testing {
namespace {

QuotaKeyStatus Key(const std::string& name, int64_t paused_until_ms, uint64_t granted) {
  QuotaKeyStatus key;
  key.key = name;
  key.requests_per_second = 20;
  key.paused_until_ms = paused_until_ms;
  key.pauses = 1;
  key.rate_limited = 2;
  key.granted = granted;
  return key;
}

TEST(QuotaMetricsTest, PublishesEachKeyAndCountsOnlyWhatGrew) {
  prometheus::Registry registry;
  QuotaMetrics metrics(registry);
  metrics.Publish({Key("a", 5'000, 100)}, 1'000);
  metrics.Publish({Key("a", 5'000, 130)}, 2'000);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_permits_granted_total", {{"key", "a"}}), 130);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_rate_limited_total", {{"key", "a"}}), 2);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_paused", {{"key", "a"}}), 1);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_rate", {{"key", "a"}}), 20);
  metrics.Publish({Key("a", 5'000, 130)}, 6'000);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_paused", {{"key", "a"}}), 0)
      << "the pause is over";
}

TEST(QuotaMetricsTest, AForgottenKeyIsNeitherPausedNorGranting) {
  prometheus::Registry registry;
  QuotaMetrics metrics(registry);
  metrics.Publish({Key("a", 60'000, 100), Key("b", 0, 10)}, 1'000);
  metrics.Publish({Key("b", 0, 10)}, 2'000);  // a's last job ended while it was paused
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_paused", {{"key", "a"}}), 0);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_rate", {{"key", "a"}}), 0);
  EXPECT_EQ(MetricValue(registry, "sieve_broker_permits_granted_total", {{"key", "a"}}), 100)
      << "counters keep their count";
  EXPECT_EQ(MetricValue(registry, "sieve_broker_quota_rate", {{"key", "b"}}), 20);
}

}  // namespace
}  // namespace sieve::testing
