// WorkerMetrics: status classes, one chunk's engine counters folded into rows / requests /
// retries / latency histogram, gauges and mirrored counters from Sample.
#include "worker/worker_metrics.h"

#include <gtest/gtest.h>

#include "tests/unit/common/metrics_test_util.h"

namespace sieve {
namespace {

using testing::HistogramBuckets;
using testing::MetricValue;

TEST(WorkerMetricsTest, ClassifiesStatuses) {
  EXPECT_EQ(WorkerMetrics::ClassOf(200), WorkerMetrics::k2xx);
  EXPECT_EQ(WorkerMetrics::ClassOf(204), WorkerMetrics::k2xx);
  EXPECT_EQ(WorkerMetrics::ClassOf(301), WorkerMetrics::k3xx);
  EXPECT_EQ(WorkerMetrics::ClassOf(404), WorkerMetrics::k4xx);
  EXPECT_EQ(WorkerMetrics::ClassOf(429), WorkerMetrics::k429);
  EXPECT_EQ(WorkerMetrics::ClassOf(503), WorkerMetrics::k5xx);
  EXPECT_EQ(WorkerMetrics::ClassOf(0), WorkerMetrics::kTransportError);
  EXPECT_EQ(WorkerMetrics::ClassOf(99), WorkerMetrics::kTransportError);
  EXPECT_EQ(WorkerMetrics::ClassOf(600), WorkerMetrics::kTransportError);
}

EngineCounters Chunk() {
  EngineCounters c;
  c.rows_ok = 95;
  c.rows_failed = 5;
  c.retries = 12;
  c.http_status = {{200, 95}, {500, 6}, {429, 3}, {404, 1}};
  c.transport_errors = {{"timeout", 2}, {"connect", 1}};
  c.prompt_tokens = 4000;
  c.completion_tokens = 190;
  c.answers_invalid = 7;
  for (int i = 0; i < 100; ++i) c.latency.Observe(std::chrono::microseconds(2000));  // <= 2.5 ms
  for (int i = 0; i < 8; ++i) c.latency.Observe(std::chrono::seconds(2));           // <= 2.5 s
  return c;
}

TEST(WorkerMetricsTest, CountsAChunk) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  metrics.CountChunk(Chunk());
  metrics.CountChunk(Chunk());
  EXPECT_EQ(MetricValue(registry, "sieve_worker_rows_total", {{"outcome", "ok"}}), 190);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_rows_total", {{"outcome", "failed"}}), 10);
  auto requests = [&](const char* cls) {
    return MetricValue(registry, "sieve_worker_http_requests_total", {{"class", cls}});
  };
  EXPECT_EQ(requests("2xx"), 190);
  EXPECT_EQ(requests("5xx"), 12);
  EXPECT_EQ(requests("429"), 6);
  EXPECT_EQ(requests("4xx"), 2);
  EXPECT_EQ(requests("3xx"), 0);
  EXPECT_EQ(requests("transport_error"), 6);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_retries_total"), 24);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_tokens_total", {{"kind", "prompt"}}), 8000);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_tokens_total", {{"kind", "completion"}}), 380);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_answers_invalid_total"), 14);
  // Every attempt lands in the histogram: 2 x 108 observations, bucketed by bound.
  EXPECT_EQ(MetricValue(registry, "sieve_worker_request_duration_seconds"), 216);
  std::vector<uint64_t> buckets = HistogramBuckets(registry, "sieve_worker_request_duration_seconds");
  ASSERT_EQ(buckets.size(), kLatencyBounds.size() + 1);  // +Inf last
  EXPECT_EQ(buckets[0], 0u);    // <= 1 ms
  EXPECT_EQ(buckets[1], 200u);  // <= 2.5 ms
  EXPECT_EQ(buckets[9], 200u);  // <= 1 s
  EXPECT_EQ(buckets[10], 216u); // <= 2.5 s
  EXPECT_EQ(buckets.back(), 216u);
}

TEST(WorkerMetricsTest, SampleSetsGaugesAndMirrorsCounters) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  WorkerCounters counters;
  counters.chunks_labelled = 4;
  counters.chunks_done = 3;
  counters.results_resent = 1;
  counters.reconnects = 2;
  metrics.Sample(counters, 17, 32, 2);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_requests_in_flight"), 17);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_concurrency_limit"), 32);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_chunks_in_progress"), 2);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_chunks_labelled_total"), 4);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_chunks_delivered_total"), 3);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_results_resent_total"), 1);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_broker_reconnects_total"), 2);
  metrics.Sample(counters, 0, 8, 0);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_requests_in_flight"), 0);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_chunks_labelled_total"), 4);
}

}  // namespace
}  // namespace sieve

namespace sieve {
namespace {

using testing::MetricValue;

TEST(WorkerMetricsTest, CountsEachEndpointOfAPool) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  EngineCounters c;
  EndpointCounters& a = c.endpoints["http://a/classify"];
  a.http_status = {{200, 40}, {0, 3}};
  for (int i = 0; i < 43; ++i) a.latency.Observe(std::chrono::milliseconds(2));
  EndpointCounters& b = c.endpoints["http://b/classify"];
  b.http_status = {{200, 10}, {500, 2}, {429, 1}};
  for (int i = 0; i < 13; ++i) b.latency.Observe(std::chrono::milliseconds(60));
  metrics.CountChunk(c);
  metrics.CountChunk(c);
  auto requests = [&](const char* url, const char* cls) {
    return MetricValue(registry, "sieve_worker_endpoint_requests_total",
                       {{"endpoint", url}, {"class", cls}});
  };
  EXPECT_EQ(requests("http://a/classify", "2xx"), 80);
  EXPECT_EQ(requests("http://a/classify", "transport_error"), 6);
  EXPECT_EQ(requests("http://b/classify", "5xx"), 4);
  EXPECT_EQ(requests("http://b/classify", "429"), 2);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_endpoint_request_duration_seconds",
                        {{"endpoint", "http://b/classify"}}),
            26);
  metrics.SampleEndpoint("http://b/classify", true);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_endpoint_in_cooldown",
                        {{"endpoint", "http://b/classify"}}),
            1);
  metrics.SampleEndpoint("http://b/classify", false);
  EXPECT_EQ(MetricValue(registry, "sieve_worker_endpoint_in_cooldown",
                        {{"endpoint", "http://b/classify"}}),
            0);
}

}  // namespace
}  // namespace sieve
