#include "worker/row_batch.h"

namespace sieve {

void EngineCounters::Add(const EngineCounters& other) {
  requests += other.requests;
  retries += other.retries;
  rows_ok += other.rows_ok;
  rows_failed += other.rows_failed;
  rows_not_sent += other.rows_not_sent;
  retry_budget_exhausted = retry_budget_exhausted || other.retry_budget_exhausted;
  for (const auto& [status, count] : other.http_status) http_status[status] += count;
  for (const auto& [kind, count] : other.transport_errors) transport_errors[kind] += count;
  request_time += other.request_time;
}

}  // namespace sieve
