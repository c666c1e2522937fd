// worker_metrics_bench: what the worker's metrics cost, per request, per chunk and per loop
// iteration, to compare with the worker's CPU per row (docs/benchmarks.md, "Worker metrics").
//
//   BM_LatencyObserve   per HTTP attempt: bucket one duration into the chunk's LatencyCounts
//   BM_CountStatus      per HTTP attempt: the chunk's by-status map increment
//   BM_CountChunk/N     per chunk of N rows: fold its EngineCounters into the Prometheus metrics
//                       (items/s = rows/s)
//   BM_Sample           per worker-loop iteration: mirrored counters and three gauges
//   BM_Scrape           per scrape: serialize the worker's registry as Prometheus text
#include <benchmark/benchmark.h>

#include <chrono>

#include "common/metrics_server.h"
#include "worker/worker_metrics.h"

namespace sieve {
namespace {

EngineCounters ChunkCounters(int rows) {
  EngineCounters c;
  c.rows_ok = static_cast<uint64_t>(rows) - 2;
  c.rows_failed = 2;
  c.retries = 9;
  c.http_status = {{200, static_cast<uint64_t>(rows)}, {500, 5}, {429, 2}};
  c.transport_errors = {{"timeout", 2}};
  for (int i = 0; i < rows; ++i) c.latency.Observe(std::chrono::microseconds(800 + i % 5000));
  return c;
}

void BM_LatencyObserve(benchmark::State& state) {
  LatencyCounts counts;
  int64_t us = 0;
  for (auto _ : state) {
    counts.Observe(std::chrono::microseconds(us));
    us = (us + 7919) % 3'000'000;
  }
  benchmark::DoNotOptimize(counts);
}
BENCHMARK(BM_LatencyObserve);

void BM_CountStatus(benchmark::State& state) {
  EngineCounters counters;
  int i = 0;
  for (auto _ : state) {
    ++counters.http_status[(++i % 50) == 0 ? 500 : 200];
  }
  benchmark::DoNotOptimize(counters);
}
BENCHMARK(BM_CountStatus);

void BM_CountChunk(benchmark::State& state) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  const EngineCounters chunk = ChunkCounters(static_cast<int>(state.range(0)));
  for (auto _ : state) metrics.CountChunk(chunk);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CountChunk)->Arg(100)->Arg(1000);

void BM_Sample(benchmark::State& state) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  WorkerCounters counters;
  for (auto _ : state) {
    ++counters.chunks_labelled;
    metrics.Sample(counters, 64, 64, 2);
  }
}
BENCHMARK(BM_Sample);

void BM_Scrape(benchmark::State& state) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  metrics.CountChunk(ChunkCounters(1000));
  for (auto _ : state) benchmark::DoNotOptimize(SerializeMetrics(registry));
}
BENCHMARK(BM_Scrape);

}  // namespace
}  // namespace sieve

BENCHMARK_MAIN();
