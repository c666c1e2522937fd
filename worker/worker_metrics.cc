#include "worker/worker_metrics.h"

#include <vector>

namespace sieve {
namespace {

constexpr const char* kClassNames[] = {"2xx", "3xx", "4xx", "429", "5xx", "transport_error"};

prometheus::Gauge& GaugeOf(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

WorkerMetrics::StatusClass WorkerMetrics::ClassOf(int http_status) {
  if (http_status == 429) return k429;
  if (http_status >= 200 && http_status < 300) return k2xx;
  if (http_status >= 300 && http_status < 400) return k3xx;
  if (http_status >= 400 && http_status < 500) return k4xx;
  if (http_status >= 500 && http_status < 600) return k5xx;
  return kTransportError;  // no status, or one outside 200..599
}

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry) {
  auto& rows = prometheus::BuildCounter()
                   .Name("sieve_worker_rows_total")
                   .Help("Rows labelled, by outcome (ok, or failed: given the error label)")
                   .Register(registry);
  rows_ok_ = &rows.Add({{"outcome", "ok"}});
  rows_failed_ = &rows.Add({{"outcome", "failed"}});
  auto& requests = prometheus::BuildCounter()
                       .Name("sieve_worker_http_requests_total")
                       .Help("HTTP attempts to the endpoint, by status class")
                       .Register(registry);
  for (int c = 0; c < kClassCount; ++c) requests_[c] = &requests.Add({{"class", kClassNames[c]}});
  retries_ = &prometheus::BuildCounter()
                  .Name("sieve_worker_retries_total")
                  .Help("HTTP attempts after the first one of a row")
                  .Register(registry)
                  .Add({});
  auto& tokens = prometheus::BuildCounter()
                     .Name("sieve_worker_tokens_total")
                     .Help("Tokens of the endpoint's answers (OpenAI usage), by kind")
                     .Register(registry);
  prompt_tokens_ = &tokens.Add({{"kind", "prompt"}});
  completion_tokens_ = &tokens.Add({{"kind", "completion"}});
  answers_invalid_ = &prometheus::BuildCounter()
                          .Name("sieve_worker_answers_invalid_total")
                          .Help("Answers that were not one of the job's --labels")
                          .Register(registry)
                          .Add({});
  latency_ = &prometheus::BuildHistogram()
                  .Name("sieve_worker_request_duration_seconds")
                  .Help("Duration of one HTTP attempt, in seconds")
                  .Register(registry)
                  .Add({}, prometheus::Histogram::BucketBoundaries(kLatencyBounds.begin(),
                                                                   kLatencyBounds.end()));
  endpoint_requests_ = &prometheus::BuildCounter()
                            .Name("sieve_worker_endpoint_requests_total")
                            .Help("HTTP attempts to one endpoint of a pool, by status class")
                            .Register(registry);
  endpoint_latency_ = &prometheus::BuildHistogram()
                           .Name("sieve_worker_endpoint_request_duration_seconds")
                           .Help("Duration of one HTTP attempt to one endpoint of a pool")
                           .Register(registry);
  endpoint_cooldown_ = &prometheus::BuildGauge()
                            .Name("sieve_worker_endpoint_in_cooldown")
                            .Help("1 while the pool's endpoint rests after repeated failures")
                            .Register(registry);
  in_flight_ = &GaugeOf(registry, "sieve_worker_requests_in_flight", "HTTP requests in flight");
  concurrency_ = &GaugeOf(registry, "sieve_worker_concurrency_limit",
                          "Requests allowed in flight now (adaptive concurrency, summed over jobs)");
  chunks_in_progress_ = &GaugeOf(registry, "sieve_worker_chunks_in_progress",
                                 "Chunks held: being labelled or waiting for the collector");
  counters_.Add(registry, "sieve_worker_chunks_labelled_total", "Chunks whose rows all have a label",
                &WorkerCounters::chunks_labelled);
  counters_.Add(registry, "sieve_worker_chunks_delivered_total",
                "Chunk results acknowledged as durable by the collector",
                &WorkerCounters::chunks_done);
  counters_.Add(registry, "sieve_worker_results_resent_total",
                "Chunk results sent again (no acknowledgement in time)",
                &WorkerCounters::results_resent);
  counters_.Add(registry, "sieve_worker_broker_reconnects_total",
                "Reconnections to the broker", &WorkerCounters::reconnects);
  counters_.Add(registry, "sieve_worker_permit_waits_total",
                "Times a rate-limited job had a request ready but no permit",
                &WorkerCounters::permit_waits);
  counters_.Add(registry, "sieve_worker_permit_wait_seconds_total",
                "Time rate-limited jobs waited for permits", &WorkerCounters::permit_wait_ms, 1e-3);
  counters_.Add(registry, "sieve_worker_rate_limited_total",
                "429s (or 503s with Retry-After) seen by rate-limited jobs",
                &WorkerCounters::rate_limited);
  counters_.Add(registry, "sieve_worker_messages_refused_total",
                "Messages refused (malformed or unexpected) from the broker or a collector",
                &WorkerCounters::messages_refused);
}

void WorkerMetrics::CountChunk(const EngineCounters& c) {
  rows_ok_->Increment(static_cast<double>(c.rows_ok));
  rows_failed_->Increment(static_cast<double>(c.rows_failed));
  std::array<uint64_t, kClassCount> by_class{};
  for (const auto& [status, count] : c.http_status) by_class[ClassOf(status)] += count;
  for (const auto& [kind, count] : c.transport_errors) by_class[kTransportError] += count;
  for (int i = 0; i < kClassCount; ++i) {
    if (by_class[i] > 0) requests_[i]->Increment(static_cast<double>(by_class[i]));
  }
  retries_->Increment(static_cast<double>(c.retries));
  prompt_tokens_->Increment(static_cast<double>(c.prompt_tokens));
  completion_tokens_->Increment(static_cast<double>(c.completion_tokens));
  answers_invalid_->Increment(static_cast<double>(c.answers_invalid));
  std::vector<double> buckets(c.latency.buckets.begin(), c.latency.buckets.end());
  latency_->ObserveMultiple(buckets, c.latency.sum_seconds);
  for (const auto& [url, e] : c.endpoints) {
    std::array<uint64_t, kClassCount> classes{};
    for (const auto& [status, count] : e.http_status) classes[ClassOf(status)] += count;
    for (int i = 0; i < kClassCount; ++i) {
      if (classes[i] == 0) continue;
      endpoint_requests_->Add({{"endpoint", url}, {"class", kClassNames[i]}})
          .Increment(static_cast<double>(classes[i]));
    }
    std::vector<double> counts(e.latency.buckets.begin(), e.latency.buckets.end());
    endpoint_latency_
        ->Add({{"endpoint", url}},
              prometheus::Histogram::BucketBoundaries(kLatencyBounds.begin(), kLatencyBounds.end()))
        .ObserveMultiple(counts, e.latency.sum_seconds);
  }
}

void WorkerMetrics::SampleEndpoint(const std::string& endpoint, bool in_cooldown) {
  endpoint_cooldown_->Add({{"endpoint", endpoint}}).Set(in_cooldown ? 1 : 0);
}

void WorkerMetrics::Sample(const WorkerCounters& counters, int in_flight, int concurrency_limit,
                           size_t chunks_in_progress) {
  counters_.Publish(counters);
  in_flight_->Set(in_flight);
  concurrency_->Set(concurrency_limit);
  chunks_in_progress_->Set(static_cast<double>(chunks_in_progress));
}

}  // namespace sieve
