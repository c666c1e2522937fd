#include "collector/collector_metrics.h"

namespace sieve {

CollectorMetrics::CollectorMetrics(prometheus::Registry& registry) {
  using C = CollectorCounters;
  counters_.Add(registry, "sieve_collector_chunks_committed_total",
                "Chunk results made durable", &C::chunks_committed);
  counters_.Add(registry, "sieve_collector_duplicate_results_total",
                "Results for chunks already committed (acknowledged, not stored)",
                &C::duplicates);
  counters_.Add(registry, "sieve_collector_store_failures_total",
                "Results that could not be made durable (disk full, I/O error)",
                &C::store_failures);
  counters_.Add(registry, "sieve_collector_messages_refused_total",
                "Messages or results refused as malformed or inconsistent",
                &C::messages_refused);
  counters_.Add(registry, "sieve_collector_rows_written_total",
                "Rows appended to job outputs by the ordered merge", &C::rows_written);
  counters_.Add(registry, "sieve_collector_bytes_written_total",
                "Bytes appended to job outputs by the ordered merge", &C::bytes_written);
  counters_.Add(registry, "sieve_collector_cache_hits_total",
                "Result cache lookups answered from the cache (rows not sent)", &C::cache_hits);
  counters_.Add(registry, "sieve_collector_cache_misses_total",
                "Result cache lookups not in the cache (claimed: the asking worker sends them)",
                &C::cache_misses);
  counters_.Add(registry, "sieve_collector_cache_waits_total",
                "Result cache lookups told to wait for another lease's claim on the same request",
                &C::cache_waits);
  counters_.Add(registry, "sieve_collector_cache_fills_total",
                "Entries written into the result cache", &C::cache_fills);
  counters_.Add(registry, "sieve_collector_cache_evictions_total",
                "Result cache entries evicted to stay within --cache-max-bytes",
                &C::cache_evictions);
  commit_ = &prometheus::BuildHistogram()
                 .Name("sieve_collector_commit_duration_seconds")
                 .Help("Time to make one chunk result durable (write, fsync, rename)")
                 .Register(registry)
                 .Add({}, prometheus::Histogram::BucketBoundaries{
                              0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                              1, 2.5, 5});
  reorder_ = &prometheus::BuildGauge()
                  .Name("sieve_collector_reorder_buffer_chunks")
                  .Help("Chunk results durable but waiting for an earlier chunk to merge")
                  .Register(registry)
                  .Add({});
  jobs_open_ = &prometheus::BuildGauge()
                    .Name("sieve_collector_jobs_open")
                    .Help("Jobs whose output is not finished yet")
                    .Register(registry)
                    .Add({});
  cache_bytes_ = &prometheus::BuildGauge()
                      .Name("sieve_collector_cache_bytes")
                      .Help("Bytes of the result cache's entries (bounded by --cache-max-bytes)")
                      .Register(registry)
                      .Add({});
  cache_entries_ = &prometheus::BuildGauge()
                        .Name("sieve_collector_cache_entries")
                        .Help("Entries in the result cache")
                        .Register(registry)
                        .Add({});
}

void CollectorMetrics::Publish(const CollectorCounters& counters, uint64_t reorder_chunks,
                               uint64_t jobs_open) {
  counters_.Publish(counters);
  reorder_->Set(static_cast<double>(reorder_chunks));
  jobs_open_->Set(static_cast<double>(jobs_open));
}

}  // namespace sieve
