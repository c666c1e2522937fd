// classifier_metrics_bench: the classifier's per-request metric updates (a response counter and
// a duration histogram), as ServerMetrics does them (series resolved once) and, for comparison,
// with a label lookup in the family on every request (what it did before).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include "classifier/server_metrics.h"

namespace sieve::classifier {
namespace {

void BM_PerRequestLookup(benchmark::State& state) {
  prometheus::Registry registry;
  auto& requests = prometheus::BuildCounter().Name("r_total").Help("r").Register(registry);
  auto& durations = prometheus::BuildHistogram().Name("d_seconds").Help("d").Register(registry);
  const prometheus::Histogram::BucketBoundaries bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                          5, 10, 30, 60};
  for (auto _ : state) {
    requests.Add({{"code", std::to_string(200)}}).Increment();
    durations.Add({{"handler", std::string("/classify")}}, bounds).Observe(0.001);
  }
}
BENCHMARK(BM_PerRequestLookup);

void BM_ServerMetrics(benchmark::State& state) {
  ServerMetrics metrics;
  for (auto _ : state) {
    metrics.CountResponse(200);
    metrics.ObserveDuration("/classify", 0.001);
  }
}
BENCHMARK(BM_ServerMetrics);

}  // namespace
}  // namespace sieve::classifier

BENCHMARK_MAIN();
