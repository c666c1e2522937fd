// The HTTP engine's input (a chunk's rows as parsed fields plus the header) and output (a label
// or an error reason for every row, plus counters).
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sieve {

struct RowBatch {
  std::string job_id;                         // with chunk_index, makes Idempotency-Keys unique
  uint64_t chunk_index = 0;
  std::vector<std::string> header;            // column names
  std::vector<std::vector<std::string>> rows;  // fields of each row, in header order
  // When not empty (a deduplicated round of a chunk, worker/chunk_cache_plan.h): the row
  // number in the chunk of each row, used instead of its index in Idempotency-Keys.
  std::vector<uint32_t> row_ids;
  // JSON Lines input without a --body-template (docs/jsonl.md): each row's request body (its
  // object, or only its --fields keys), so values keep their JSON types. Empty otherwise.
  std::vector<std::string> bodies;
};

struct RowError {
  uint32_t row = 0;    // index into RowBatch::rows
  std::string reason;  // "HTTP 500 after 4 attempts", "timeout after 15 s (4 attempts)", ...
};

// Attempt durations counted into fixed buckets (upper bounds kLatencyBounds in seconds, then
// +Inf), so a chunk's latencies reach a Prometheus histogram in one step, not one per request.
inline constexpr std::array<double, 15> kLatencyBounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
struct LatencyCounts {
  std::array<uint64_t, kLatencyBounds.size() + 1> buckets{};  // not cumulative
  double sum_seconds = 0;

  void Observe(std::chrono::microseconds duration);  // O(log buckets)
  void Add(const LatencyCounts& other);
};

// One endpoint of a pool (worker/endpoint_pool.h): its attempts by HTTP status (0: no status,
// a transport error) and their durations.
struct EndpointCounters {
  std::map<int, uint64_t> http_status;
  LatencyCounts latency;

  void Add(const EndpointCounters& other);
};

struct EngineCounters {
  uint64_t requests = 0;          // HTTP attempts made, retries included
  uint64_t retries = 0;           // attempts after the first, over all requests
  uint64_t rows_ok = 0;
  uint64_t rows_failed = 0;
  uint64_t rows_not_sent = 0;     // failed without a request (bad UTF-8, fail-fast)
  bool retry_budget_exhausted = false;
  // The chunk stopped sending because the endpoint failed endpoint-wide (TLS trust)
  // fail_fast_streak times in a row: unusable from here, rather than failing some rows.
  bool endpoint_unusable = false;
  std::map<int, uint64_t> http_status;             // attempts by HTTP status received
  std::map<std::string, uint64_t> transport_errors;  // attempts without a status, by kind
  // LLM endpoints (docs/llm.md): tokens of every answer that carried OpenAI-shaped usage
  // (re-asked answers included: they were paid for), answers not one of --labels, and rows
  // that got the error label for that reason after their re-asks.
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t answers_invalid = 0;
  uint64_t rows_invalid = 0;
  std::chrono::microseconds request_time{0};       // summed duration of all attempts
  LatencyCounts latency;                           // duration of every attempt
  // With an endpoint pool only: the attempts of each endpoint, by URL (credentials redacted).
  std::map<std::string, EndpointCounters> endpoints;

  // Adds `other` into this (for totals across chunks).
  void Add(const EngineCounters& other);
};

struct ChunkLabels {
  std::vector<std::string> labels;  // one per row; the error label for a failed row
  std::vector<RowError> errors;     // one per failed row, ordered by row
  EngineCounters counters;
  std::chrono::milliseconds elapsed{0};  // from Submit to completion
  // A canary chunk (worker/canary_probe.h) whose probe rows were all refused the same way:
  // the chunk's other rows were not sent, and the result must not be delivered.
  bool canary_failed = false;
  std::string canary_reason;  // the endpoint's answer, quoted in the job's status
  // EngineOptions::pause_on_refusal: a request was refused (401/403). No row was labelled; the
  // result must not be delivered (the worker hands the chunk back and the job pauses).
  bool refused = false;
  std::string refusal_reason;  // the first refused request's answer
};

}  // namespace sieve
