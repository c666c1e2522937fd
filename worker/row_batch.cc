#include "worker/row_batch.h"

#include <algorithm>

namespace sieve {

void EngineCounters::Add(const EngineCounters& other) {
  requests += other.requests;
  retries += other.retries;
  rows_ok += other.rows_ok;
  rows_failed += other.rows_failed;
  rows_not_sent += other.rows_not_sent;
  retry_budget_exhausted = retry_budget_exhausted || other.retry_budget_exhausted;
  endpoint_unusable = endpoint_unusable || other.endpoint_unusable;
  for (const auto& [status, count] : other.http_status) http_status[status] += count;
  for (const auto& [kind, count] : other.transport_errors) transport_errors[kind] += count;
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  answers_invalid += other.answers_invalid;
  rows_invalid += other.rows_invalid;
  request_time += other.request_time;
  latency.Add(other.latency);
  for (const auto& [url, counts] : other.endpoints) endpoints[url].Add(counts);
}

void EndpointCounters::Add(const EndpointCounters& other) {
  for (const auto& [status, count] : other.http_status) http_status[status] += count;
  latency.Add(other.latency);
}

void LatencyCounts::Observe(std::chrono::microseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1e6;
  auto bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  ++buckets[static_cast<size_t>(bucket - kLatencyBounds.begin())];
  sum_seconds += seconds;
}

void LatencyCounts::Add(const LatencyCounts& other) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  sum_seconds += other.sum_seconds;
}

}  // namespace sieve
