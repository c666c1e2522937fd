// CollectorMetrics: the collector's Prometheus metrics, updated by the collector loop.
//
// Families (prefix sieve_collector_; see docs/observability.md):
//   chunks_committed_total, duplicate_results_total, store_failures_total,
//   messages_refused_total, rows_written_total, bytes_written_total      counters
//   commit_duration_seconds      histogram, making one chunk result durable (write, fsync,
//                                rename, directory fsync)
//   reorder_buffer_chunks        gauge, results durable but waiting for an earlier chunk
//   jobs_open                    gauge, jobs whose output is not finished
//   cache_hits_total, cache_misses_total, cache_waits_total, cache_fills_total,
//   cache_evictions_total        counters, the result cache's lookups and entries
//   cache_bytes, cache_entries   gauges, the result cache's size (bounded by --cache-max-bytes)
//
// Cost: Publish is O(jobs), once per loop iteration; the loop itself only bumps integers.
// Thread-safety: not thread-safe; the collector loop calls it.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>

#include "common/counter_mirror.h"

namespace sieve {

struct CollectorCounters {
  uint64_t chunks_committed = 0;
  uint64_t duplicates = 0;
  uint64_t store_failures = 0;
  uint64_t messages_refused = 0;
  uint64_t rows_written = 0;
  uint64_t bytes_written = 0;  // output bytes appended by the merge
  // The result cache (collector/result_cache.h), copied from its counters.
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t cache_waits = 0;
  uint64_t cache_fills = 0;
  uint64_t cache_evictions = 0;
};

class CollectorMetrics {
 public:
  explicit CollectorMetrics(prometheus::Registry& registry);

  void Publish(const CollectorCounters& counters, uint64_t reorder_chunks, uint64_t jobs_open);
  void ObserveCommit(double seconds) { commit_->Observe(seconds); }
  void PublishCache(uint64_t bytes, uint64_t entries) {
    cache_bytes_->Set(static_cast<double>(bytes));
    cache_entries_->Set(static_cast<double>(entries));
  }

 private:
  CounterMirror<CollectorCounters> counters_;
  prometheus::Histogram* commit_;
  prometheus::Gauge* reorder_;
  prometheus::Gauge* jobs_open_;
  prometheus::Gauge* cache_bytes_;
  prometheus::Gauge* cache_entries_;
};

}  // namespace sieve
