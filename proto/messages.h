// The commands that pipeline processes (worker, broker, collector) exchange, as typed
// structs. Client commands are in proto/client_messages.h; proto/codec.h joins both in
// proto::Message. Specification (frames, fields, who sends what, what the receiver does):
// docs/protocol.md.
//
// Each struct has `kCommand` and a `Schema(m, v)` that lists its header fields (key, member,
// rule; see proto/message_parts.h) and then its bulk frames in wire order. Bulk frames carry
// raw bytes (CSV records) that are never re-encoded.
//
// Ids: request_id is a uint64 chosen by the requester and echoed in the reply; job_id is a
// string (proto/job_id.h); chunk_index counts chunks from 0; attempt counts leases of one
// chunk from 1; rows are counted from 0 without the header record.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/constants.h"
#include "proto/message_parts.h"

namespace sieve::proto {

// ---------------------------------------------------------------- worker <-> broker

struct Ready {
  static constexpr Command kCommand = Command::kReady;
  std::string worker;             // worker name (host:pid by default)
  std::uint32_t credit = 0;       // how many more chunks it can take now
  std::uint32_t concurrency = 0;  // HTTP requests it runs in flight
  std::string version;            // software version, for WORKERS listings

  bool operator==(const Ready&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("worker", m.worker, Rule::kRequired);
    v.Field("credit", m.credit, Rule::kRequired);
    v.Field("concurrency", m.concurrency, Rule::kOptional);
    v.Field("version", m.version, Rule::kOptional);
  }
};

struct Assign {
  static constexpr Command kCommand = Command::kAssign;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::uint64_t first_row = 0;
  std::uint64_t row_count = 0;
  std::uint32_t lease_ms = kDefaultLeaseMs;  // lease lasts this long past the last heartbeat
  std::string collector;                     // endpoint the RESULT goes to
  std::string collector_public_key;          // its CURVE public key (Z85); empty: CURVE off
  JobSpec spec;
  std::string header_record;  // bulk: the job's CSV header record, with its line ending
  std::string chunk;          // bulk: the chunk's CSV records
  // The job's canary: probe the first rows alone and report the verdict (CANARY) before
  // the broker hands out the job's other chunks.
  bool canary = false;

  bool operator==(const Assign&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("first_row", m.first_row, Rule::kRequired);
    v.Field("row_count", m.row_count, Rule::kRequired);
    v.Field("lease_ms", m.lease_ms, Rule::kRequired);
    v.Field("collector", m.collector, Rule::kRequired);
    v.Field("collector_public_key", m.collector_public_key, Rule::kOptional);
    v.Field("spec", m.spec, Rule::kRequired);
    v.Field("canary", m.canary, Rule::kOptional);
    v.Bulk(m.header_record);
    v.Bulk(m.chunk);
  }
};

struct Heartbeat {
  static constexpr Command kCommand = Command::kHeartbeat;
  std::vector<LeaseRef> leases;  // W->B: leases the worker holds; B->W: empty
  // W->B only: HTTP requests in flight now, and what its endpoint pools counted since the
  // previous heartbeat (one entry per job with a pool).
  std::uint32_t in_flight = 0;
  std::vector<JobEndpointCounts> endpoints;

  bool operator==(const Heartbeat&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("leases", m.leases, Rule::kOptional);
    v.Field("in_flight", m.in_flight, Rule::kOptional);
    v.Field("endpoints", m.endpoints, Rule::kOptional);
  }
};

struct Release {
  static constexpr Command kCommand = Command::kRelease;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::string reason;  // e.g. "draining"
  // The job names a secret (${secret:NAME} in a header) this worker does not have: the name.
  // Not a failed attempt; the worker takes no work for a pause.
  std::string missing_secret;
  // The endpoint refused the job's requests with an answer retrying cannot fix (HTTP 401/403:
  // an API key revoked): that answer. Not a failed attempt and no row labelled `error`; the
  // broker pauses the job until `sieve resume` (broker/pause_gate.h). An older broker ignores
  // it and counts a failed attempt.
  std::string refusal;

  bool operator==(const Release&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("reason", m.reason, Rule::kOptional);
    v.Field("missing_secret", m.missing_secret, Rule::kOptional);
    v.Field("refusal", m.refusal, Rule::kOptional);
  }
};

// CANARY W->B: the verdict of a job's canary chunk (ASSIGN.canary). `passed`: a probe row got
// a label, the broker fans the job out and the worker goes on with the chunk. Not passed:
// every probe row failed the same way that retrying cannot fix; `reason` quotes the
// endpoint's answer, the worker has dropped the chunk (no RESULT) and the job fails.
struct CanaryReport {
  static constexpr Command kCommand = Command::kCanary;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  bool passed = false;
  std::string reason;  // when !passed: the answer, e.g. "HTTP 422: {\"detail\":...}"

  bool operator==(const CanaryReport&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("passed", m.passed, Rule::kRequired);
    v.Field("reason", m.reason, Rule::kOptional);
  }
};

struct DropJob {
  static constexpr Command kCommand = Command::kDropJob;
  std::string job_id;

  bool operator==(const DropJob&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
  }
};

struct Disconnect {
  static constexpr Command kCommand = Command::kDisconnect;
  std::string reason;

  bool operator==(const Disconnect&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("reason", m.reason, Rule::kOptional);
  }
};

// ------------------------------------------------ worker <-> broker: rate limits (limits.md)

// W->B: "grant me up to `want` requests of this job, each about `tokens_each` tokens". Also
// carries the token corrections since the last ask: the answers' real usage against what the
// permits charged (both sums, so the broker debits actual - charged, which may be negative).
struct PermitAsk {
  static constexpr Command kCommand = Command::kPermitAsk;
  std::string job_id;
  std::uint32_t want = 0;
  std::uint64_t tokens_each = 0;
  std::uint64_t tokens_actual = 0;   // usage of answered requests since the last ask
  std::uint64_t tokens_charged = 0;  // what their permits charged

  bool operator==(const PermitAsk&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("want", m.want, Rule::kRequired);
    v.Field("tokens_each", m.tokens_each, Rule::kOptional);
    v.Field("tokens_actual", m.tokens_actual, Rule::kOptional);
    v.Field("tokens_charged", m.tokens_charged, Rule::kOptional);
  }
};

// B->W: `count` requests of the job may start within `ttl_ms` of receipt; after that the
// permits are void. count == 0 with paused_ms > 0: the key is paused that long.
struct PermitGrant {
  static constexpr Command kCommand = Command::kPermitGrant;
  std::string job_id;
  std::uint32_t count = 0;
  std::uint64_t tokens = 0;  // tokens the permits charged (0 without a token limit)
  std::uint32_t ttl_ms = 0;
  std::uint32_t paused_ms = 0;
  std::uint32_t unlimited = 0;  // 1: the job's key has no limit; the worker stops asking

  bool operator==(const PermitGrant&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("count", m.count, Rule::kRequired);
    v.Field("tokens", m.tokens, Rule::kOptional);
    v.Field("ttl_ms", m.ttl_ms, Rule::kRequired);
    v.Field("paused_ms", m.paused_ms, Rule::kOptional);
    v.Field("unlimited", m.unlimited, Rule::kOptional);
  }
};

// W->B: the endpoint answered 429 (or 503 with Retry-After) for a request of the job, or its
// x-ratelimit-* headers said the quota is spent. Pauses the job's key cluster-wide.
struct RateLimited {
  static constexpr Command kCommand = Command::kRateLimited;
  std::string job_id;
  std::uint32_t http_status = 0;
  std::uint64_t retry_after_ms = 0;  // Retry-After, 0 when absent
  // x-ratelimit-remaining-requests / -reset-requests when the answer had them.
  std::optional<std::uint64_t> remaining_requests;
  std::uint64_t reset_requests_ms = 0;

  bool operator==(const RateLimited&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("http_status", m.http_status, Rule::kOptional);
    v.Field("retry_after_ms", m.retry_after_ms, Rule::kOptional);
    v.Field("remaining_requests", m.remaining_requests, Rule::kOptional);
    v.Field("reset_requests_ms", m.reset_requests_ms, Rule::kOptional);
  }
};

// B->W: drop every permit held for the job now (its key was paused for `paused_ms`).
struct PermitsVoid {
  static constexpr Command kCommand = Command::kPermitsVoid;
  std::string job_id;
  std::uint32_t paused_ms = 0;

  bool operator==(const PermitsVoid&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("paused_ms", m.paused_ms, Rule::kOptional);
  }
};

// ---------------------------------------------------------------- worker <-> collector

struct ChunkResult {  // RESULT
  static constexpr Command kCommand = Command::kResult;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::uint64_t first_row = 0;
  std::uint64_t row_count = 0;
  std::uint64_t error_count = 0;  // rows labelled with the error label
  std::uint64_t retry_count = 0;  // HTTP retries spent on the chunk
  std::optional<HttpStats> http;
  std::vector<RowError> errors;  // at most kMaxArrayElements; reasons are short
  std::optional<ChunkUsage> usage;  // tokens and invalid answers; absent when all zero
  std::string labelled;          // bulk: the chunk's records, each with the label column appended
  std::uint64_t cached_rows = 0;    // rows answered from the result cache, not sent

  bool operator==(const ChunkResult&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("first_row", m.first_row, Rule::kRequired);
    v.Field("row_count", m.row_count, Rule::kRequired);
    v.Field("error_count", m.error_count, Rule::kRequired);
    v.Field("retry_count", m.retry_count, Rule::kOptional);
    v.Field("http", m.http, Rule::kOptional);
    v.Field("errors", m.errors, Rule::kOptional);
    v.Field("usage", m.usage, Rule::kOptional);
    v.Field("cached_rows", m.cached_rows, Rule::kOptional);
    v.Bulk(m.labelled);
  }
};

struct ResultAck {
  static constexpr Command kCommand = Command::kResultAck;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  bool ok = false;      // true: the result is durable (or was already)
  std::string message;  // why not, when !ok

  bool operator==(const ResultAck&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("ok", m.ok, Rule::kRequired);
    v.Field("message", m.message, Rule::kOptional);
  }
};

// ---------------------------------------------------------------- collector <-> broker

struct CollectorReady {
  static constexpr Command kCommand = Command::kCollectorReady;
  std::string endpoint;  // where workers and clients reach the collector
  std::string name;
  std::string public_key;  // its CURVE public key (Z85); empty: CURVE off

  bool operator==(const CollectorReady&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("endpoint", m.endpoint, Rule::kRequired);
    v.Field("name", m.name, Rule::kOptional);
    v.Field("public_key", m.public_key, Rule::kOptional);
  }
};

struct JobOpen {
  static constexpr Command kCommand = Command::kJobOpen;
  std::string job_id;
  std::string label_column{kDefaultLabelColumn};
  std::string output_path;
  std::uint64_t total_chunks = 0;  // 0 until sealed
  std::uint64_t total_rows = 0;    // 0 until sealed
  std::string header_record;       // bulk: the job's CSV header record
  std::string name;                // the job's name, for its summary; may be empty
  std::string price;               // the job's --price ("P,C" per million tokens); may be empty
  std::string retry_of;            // the job whose output this job's results rebuild; may be empty
  std::string output_format{"csv"};  // "csv" (header + rows) or "jsonl" (one object a line)

  bool operator==(const JobOpen&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("label_column", m.label_column, Rule::kRequired);
    v.Field("output_path", m.output_path, Rule::kRequired);
    v.Field("total_chunks", m.total_chunks, Rule::kOptional);
    v.Field("total_rows", m.total_rows, Rule::kOptional);
    v.Field("name", m.name, Rule::kOptional);
    v.Field("price", m.price, Rule::kOptional);
    v.Field("retry_of", m.retry_of, Rule::kOptional);
    v.Field("output_format", m.output_format, Rule::kOptional);
    v.Bulk(m.header_record);
  }
};

struct JobSealed {
  static constexpr Command kCommand = Command::kJobSealed;
  std::string job_id;
  std::uint64_t total_chunks = 0;
  std::uint64_t total_rows = 0;

  bool operator==(const JobSealed&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("total_chunks", m.total_chunks, Rule::kRequired);
    v.Field("total_rows", m.total_rows, Rule::kRequired);
  }
};

struct JobCancel {
  static constexpr Command kCommand = Command::kJobCancel;
  std::string job_id;

  bool operator==(const JobCancel&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
  }
};

struct Committed {
  static constexpr Command kCommand = Command::kCommitted;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;
  std::uint64_t prompt_tokens = 0;  // the chunk's tokens (LLM endpoints), for the job's usage
  std::uint64_t completion_tokens = 0;
  std::uint64_t cached_rows = 0;  // the chunk's rows answered from the result cache
  // The chunk's first failed rows (at most kCommittedFailedRows), for the web console; sent
  // with the first COMMITTED of a chunk only (a re-sent one leaves it empty).
  std::vector<RowError> failed_rows = {};

  bool operator==(const Committed&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("rows", m.rows, Rule::kRequired);
    v.Field("errors", m.errors, Rule::kRequired);
    v.Field("prompt_tokens", m.prompt_tokens, Rule::kOptional);
    v.Field("completion_tokens", m.completion_tokens, Rule::kOptional);
    v.Field("cached_rows", m.cached_rows, Rule::kOptional);
    v.Field("failed_rows", m.failed_rows, Rule::kOptional);
  }
};

struct JobDone {
  static constexpr Command kCommand = Command::kJobDone;
  std::string job_id;
  std::string output_path;
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;
  std::string summary_path;

  bool operator==(const JobDone&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("output_path", m.output_path, Rule::kRequired);
    v.Field("rows", m.rows, Rule::kRequired);
    v.Field("errors", m.errors, Rule::kRequired);
    v.Field("summary_path", m.summary_path, Rule::kOptional);
  }
};

}  // namespace sieve::proto
