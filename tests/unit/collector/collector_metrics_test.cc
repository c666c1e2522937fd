// CollectorMetrics: mirrored counters, commit latency histogram, reorder and open-job gauges.
#include "collector/collector_metrics.h"

#include <gtest/gtest.h>

#include "tests/unit/common/metrics_test_util.h"

namespace sieve {
namespace {

using testing::MetricValue;

TEST(CollectorMetricsTest, PublishesCountersAndGauges) {
  prometheus::Registry registry;
  CollectorMetrics metrics(registry);
  CollectorCounters counters;
  counters.chunks_committed = 3;
  counters.rows_written = 300;
  counters.bytes_written = 45000;
  counters.duplicates = 1;
  metrics.Publish(counters, 2, 1);
  counters.chunks_committed = 4;
  counters.rows_written = 400;
  metrics.Publish(counters, 0, 0);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_chunks_committed_total"), 4);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_rows_written_total"), 400);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_bytes_written_total"), 45000);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_duplicate_results_total"), 1);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_store_failures_total"), 0);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_reorder_buffer_chunks"), 0);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_jobs_open"), 0);
}

TEST(CollectorMetricsTest, ObservesCommitLatency) {
  prometheus::Registry registry;
  CollectorMetrics metrics(registry);
  metrics.ObserveCommit(0.004);
  metrics.ObserveCommit(0.7);
  EXPECT_EQ(MetricValue(registry, "sieve_collector_commit_duration_seconds"), 2);
}

}  // namespace
}  // namespace sieve
