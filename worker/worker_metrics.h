// WorkerMetrics: the worker's Prometheus metrics, updated by the worker loop.
//
// Families (prefix sieve_worker_; see docs/observability.md):
//   rows_total{outcome="ok"|"failed"}        counter, rows labelled / given the error label
//   http_requests_total{class}               counter, HTTP attempts by status class: 2xx, 3xx,
//                                            4xx (429 excluded), 429, 5xx, transport_error
//   request_duration_seconds                 histogram, every attempt (retries included)
//   retries_total                            counter, attempts after the first
//   tokens_total{kind="prompt"|"completion"} counter, tokens of answers with OpenAI usage
//   answers_invalid_total                    counter, answers not one of the job's --labels
//                                            (re-asked or, after the re-asks, an error row)
//   chunks_labelled_total, chunks_delivered_total, results_resent_total,
//   broker_reconnects_total, messages_refused_total                         counters
//   permit_waits_total, permit_wait_seconds_total, rate_limited_total  counters (limits.md)
//   requests_in_flight, concurrency_limit, chunks_in_progress     gauges (sampled by the loop)
// With endpoint pools (worker/endpoint_pool.h), per member (URL without credentials):
//   endpoint_requests_total{endpoint,class}   counter, as http_requests_total
//   endpoint_request_duration_seconds{endpoint} histogram
//   endpoint_in_cooldown{endpoint}            gauge, 1 while resting after failures (sampled)
//
// Cost: the engine counts per chunk (EngineCounters, with attempt latencies already bucketed);
// CountChunk folds one chunk in with a handful of atomic adds and one histogram update, so
// nothing is locked or looked up per row or per request. Sample sets three gauges.
//
// Thread-safety: not thread-safe; the worker loop calls it.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <string>

#include "common/counter_mirror.h"
#include "worker/row_batch.h"

namespace sieve {

struct WorkerCounters {
  uint64_t chunks_labelled = 0;
  uint64_t chunks_done = 0;  // delivered: acknowledged by the collector
  uint64_t rows_done = 0;
  uint64_t rows_failed = 0;
  uint64_t results_resent = 0;
  uint64_t reconnects = 0;        // to the broker, and re-registrations it asked for
  uint64_t messages_refused = 0;  // malformed or unexpected, from the broker or a collector
  uint64_t permit_waits = 0;      // rate-limited jobs: times an engine waited for a permit
  uint64_t permit_wait_ms = 0;    // ... and how long in all
  uint64_t rate_limited = 0;      // 429s seen by rate-limited jobs (reported to the broker)
};

class WorkerMetrics {
 public:
  // The status classes of http_requests_total, in label order.
  enum StatusClass { k2xx, k3xx, k4xx, k429, k5xx, kTransportError, kClassCount };
  static StatusClass ClassOf(int http_status);

  explicit WorkerMetrics(prometheus::Registry& registry);

  // Folds in one finished chunk's engine counters.
  void CountChunk(const EngineCounters& counters);
  void Sample(const WorkerCounters& counters, int in_flight, int concurrency_limit,
              size_t chunks_in_progress);
  // Sets endpoint_in_cooldown for one pool member (URL without credentials).
  void SampleEndpoint(const std::string& endpoint, bool in_cooldown);

 private:
  prometheus::Counter* rows_ok_;
  prometheus::Counter* rows_failed_;
  std::array<prometheus::Counter*, kClassCount> requests_{};
  prometheus::Counter* retries_;
  prometheus::Counter* prompt_tokens_;
  prometheus::Counter* completion_tokens_;
  prometheus::Counter* answers_invalid_;
  prometheus::Histogram* latency_;
  prometheus::Family<prometheus::Counter>* endpoint_requests_;
  prometheus::Family<prometheus::Histogram>* endpoint_latency_;
  prometheus::Family<prometheus::Gauge>* endpoint_cooldown_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* concurrency_;
  prometheus::Gauge* chunks_in_progress_;
  CounterMirror<WorkerCounters> counters_;
};

}  // namespace sieve
