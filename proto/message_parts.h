// The parts that Sieve messages embed: enumerations and nested maps (JobSpec, LeaseRef, ...).
// Specification: docs/protocol.md. The commands themselves are in proto/messages.h.
//
// Each struct has a `Schema(m, v)` that lists its fields (key, member, rule) in wire order;
// proto/codec.cc walks the schema to encode and decode, so a field is declared exactly once.
//
// Field rules: kRequired fields must be present; kOptional fields keep their default (shown
// below) when absent, and std::optional<T> members are omitted when empty; kJobId fields are
// required and must be valid job ids (proto/job_id.h), and when the member is a
// std::optional only the "valid" part applies. Integers are msgpack unsigned integers and are
// refused when out of the member's range.
//
// SECRET: JobSpec::headers holds HTTP headers such as "Authorization: Bearer ...". They must
// never be logged, printed or written into error messages, summaries or metrics labels.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "proto/constants.h"

namespace sieve::proto {

enum class Rule : std::uint8_t { kRequired, kOptional, kJobId };

// ---------------------------------------------------------------------------------------
// Enumerations, carried on the wire as their lowercase names.

// kBudgetExhausted: the job's --max-cost / --max-tokens stopped dispatch with nothing in flight
// (not ended: `sieve resume` with a larger budget carries on; docs/llm.md). Stored as its
// number in the broker's SQLite: new states go at the end.
// kPaused: the endpoint refused the job's requests with an answer retrying cannot fix (a key
// revoked: 401/403) after its canary passed; `sieve resume` (RESUME) carries on. Not an end state.
enum class JobState : std::uint8_t {
  kOpen,
  kSealed,
  kDone,
  kFailed,
  kCancelled,
  kBudgetExhausted,
  kPaused,
};
enum class ErrorCode : std::uint8_t {
  kUnknown,          // a code this build does not know (sent by a newer peer)
  kMalformed,        // the request could not be decoded
  kVersionMismatch,  // the request's protocol version is not ours
  kTooLarge,         // a frame or field is past a limit
  kNotAllowed,       // the peer may not send this command (wrong role, unauthenticated)
  kUnknownJob,       // no such job
  kInvalid,          // decoded, but the values make no sense (e.g. chunk index past the end)
  kBusy,             // no capacity now; retry later
  kInternal,         // a bug or local failure on the receiver
};

std::string_view EnumName(JobState state);
std::string_view EnumName(ErrorCode code);
// Parse a wire name. JobState is strict (false on an unknown name); ErrorCode maps unknown
// names to kUnknown so that a refusal is always readable.
bool ParseEnumName(std::string_view name, JobState* out);
bool ParseEnumName(std::string_view name, ErrorCode* out);

// The ErrorCode that tells a peer why its message was refused with `status`.
ErrorCode ErrorCodeFor(const Status& status);

// ---------------------------------------------------------------------------------------
// Embedded maps.

// What to do with every row of a job. Sent in SUBMIT and in every ASSIGN.
struct JobSpec {
  std::string name;                               // human-readable job name
  std::string endpoint;                           // required: http(s) URL rows are POSTed to
  std::vector<std::string> fields;                // columns in the JSON body; empty = all
  std::string label_field{kDefaultLabelField};    // response JSON field holding the label
  std::string label_column{kDefaultLabelColumn};  // output column appended to each record
  std::string error_label{kDefaultErrorLabel};    // label of a row that failed for good
  std::uint32_t timeout_ms = kDefaultTimeoutMs;
  std::uint32_t connect_timeout_ms = kDefaultConnectTimeoutMs;
  std::uint32_t retries = kDefaultRetries;       // per row, on transient failures
  std::vector<std::string> headers;              // SECRET: "Key: Value" HTTP headers
  std::uint32_t batch_size = kDefaultBatchSize;  // rows per HTTP request
  std::uint32_t concurrency = 0;                 // hint: requests in flight; 0 = worker's default
  std::uint32_t max_attempts = kDefaultMaxAttempts;  // leases of one chunk before it fails
  // Names of more headers that are credentials (--secret-header), besides the built-in
  // Authorization, Proxy-Authorization, X-Api-Key and Api-Key (broker/job_secrets.h).
  std::vector<std::string> secret_headers;
  // Set by the broker: names of credential headers whose values it holds in memory only (they
  // are not in `headers` as stored; ASSIGN carries them again). Not secret.
  std::vector<std::string> withheld_headers;
  // LLM endpoints (docs/llm.md). All optional: an older peer leaves them at their defaults.
  std::string body_template;            // JSON with {{column}} placeholders; empty: row object
  std::vector<std::string> labels;      // allowed labels; empty: any answer is the label
  std::uint32_t invalid_retries = 1;    // re-asks of an answer outside `labels`
  std::string price;                    // "PROMPT,COMPLETION" per million tokens; empty: none
  // Budget (broker/budget_gate.h): dispatch stops before committed usage plus the estimate of
  // what is in flight would pass it. max_cost is a decimal in --price's currency (needs price);
  // empty / 0: no limit. RESUME may change both (the broker stores the new values).
  std::string max_cost;
  std::uint64_t max_tokens = 0;
  // An endpoint pool (docs/architecture.md): every URL, the first equal to `endpoint`; each
  // takes the same request. Empty: `endpoint` alone. An older worker sends to `endpoint` only.
  std::vector<std::string> endpoints;
  // Cluster-wide rate limits (docs/limits.md). Rates as written on the command line
  // ("600/min", common/rate.h); empty: none. The limit key defaults to the job id.
  std::string rate;        // requests of the whole job
  std::string token_rate;  // tokens (estimated before sending, corrected by usage)
  std::string limit_key;   // jobs naming the same key share one quota
  // `sieve retry` (docs/architecture.md, "Retry of failed rows"): the done job whose failed
  // rows this job sends again. The broker replaces the rest of the spec with that job's.
  std::string retry_of;
  // Result cache (docs/architecture.md): `no_cache` (--no-cache) skips lookups and fills;
  // `cache_namespace` is set by the broker in every ASSIGN (the submitting client's identity,
  // or "shared" with --shared-cache) and ignored when a client sends it.
  bool no_cache = false;
  std::string cache_namespace;
  // JSON Lines (docs/jsonl.md): the shape of the chunks' records and of the labelled output,
  // "csv" or "jsonl". An older peer leaves them at csv.
  std::string input_format{"csv"};
  std::string output_format{"csv"};
  // Probe the endpoint with the job's first rows before fanning out (broker/canary.h). The
  // client asks for it (default on, --no-canary); absent (an older client): no canary.
  bool canary = false;
  // Set by `sieve run` only (client/run_identity.h): its inputs' sizes and SHA-256, how they
  // are chunked, and whether the endpoint is the bundled classifier. A second `sieve run` with
  // the same data directory finds the unfinished job by it (and the rest of the spec).
  std::string run_inputs;

  bool operator==(const JobSpec&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("name", m.name, Rule::kOptional);
    v.Field("endpoint", m.endpoint, Rule::kRequired);
    v.Field("fields", m.fields, Rule::kOptional);
    v.Field("label_field", m.label_field, Rule::kOptional);
    v.Field("label_column", m.label_column, Rule::kOptional);
    v.Field("error_label", m.error_label, Rule::kOptional);
    v.Field("timeout_ms", m.timeout_ms, Rule::kOptional);
    v.Field("connect_timeout_ms", m.connect_timeout_ms, Rule::kOptional);
    v.Field("retries", m.retries, Rule::kOptional);
    v.Field("headers", m.headers, Rule::kOptional);
    v.Field("batch_size", m.batch_size, Rule::kOptional);
    v.Field("concurrency", m.concurrency, Rule::kOptional);
    v.Field("max_attempts", m.max_attempts, Rule::kOptional);
    v.Field("secret_headers", m.secret_headers, Rule::kOptional);
    v.Field("withheld_headers", m.withheld_headers, Rule::kOptional);
    v.Field("body_template", m.body_template, Rule::kOptional);
    v.Field("labels", m.labels, Rule::kOptional);
    v.Field("invalid_retries", m.invalid_retries, Rule::kOptional);
    v.Field("price", m.price, Rule::kOptional);
    v.Field("max_cost", m.max_cost, Rule::kOptional);
    v.Field("max_tokens", m.max_tokens, Rule::kOptional);
    v.Field("endpoints", m.endpoints, Rule::kOptional);
    v.Field("rate", m.rate, Rule::kOptional);
    v.Field("token_rate", m.token_rate, Rule::kOptional);
    v.Field("limit_key", m.limit_key, Rule::kOptional);
    v.Field("retry_of", m.retry_of, Rule::kOptional);
    v.Field("no_cache", m.no_cache, Rule::kOptional);
    v.Field("cache_namespace", m.cache_namespace, Rule::kOptional);
    v.Field("input_format", m.input_format, Rule::kOptional);
    v.Field("output_format", m.output_format, Rule::kOptional);
    v.Field("canary", m.canary, Rule::kOptional);
    v.Field("run_inputs", m.run_inputs, Rule::kOptional);
  }
};

// One limit key in a LIMITS_REPLY (docs/limits.md).
struct LimitInfo {
  std::string key;
  std::string rate;        // effective request limit ("600/min"); empty: none
  std::string token_rate;  // effective token limit; empty: none
  std::uint64_t granted_last_minute = 0;  // requests granted over the last 60 s
  std::uint64_t paused_ms = 0;            // how long the key stays paused; 0: not paused
  std::uint64_t pauses = 0;
  std::uint64_t rate_limited = 0;  // 429s reported by workers
  std::uint64_t granted = 0;       // requests granted in all
  std::vector<std::string> jobs;   // jobs using the key

  bool operator==(const LimitInfo&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("key", m.key, Rule::kRequired);
    v.Field("rate", m.rate, Rule::kOptional);
    v.Field("token_rate", m.token_rate, Rule::kOptional);
    v.Field("granted_last_minute", m.granted_last_minute, Rule::kOptional);
    v.Field("paused_ms", m.paused_ms, Rule::kOptional);
    v.Field("pauses", m.pauses, Rule::kOptional);
    v.Field("rate_limited", m.rate_limited, Rule::kOptional);
    v.Field("granted", m.granted, Rule::kOptional);
    v.Field("jobs", m.jobs, Rule::kOptional);
  }
};

// One lease: a chunk of a job, at one attempt.
struct LeaseRef {
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;

  bool operator==(const LeaseRef&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
  }
};

// A row that got the error label. `row` is the 0-based index of the data record in the job
// (the header record is not counted).
struct RowError {
  std::uint64_t row = 0;
  std::string reason;

  bool operator==(const RowError&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("row", m.row, Rule::kRequired);
    v.Field("reason", m.reason, Rule::kRequired);
  }
};

// HTTP counters for one chunk.
struct HttpStats {
  std::uint64_t requests = 0;
  std::uint64_t status_2xx = 0;
  std::uint64_t status_4xx = 0;
  std::uint64_t status_5xx = 0;
  std::uint64_t transport_errors = 0;  // connect errors, timeouts, resets
  std::uint64_t latency_ms_total = 0;
  std::uint64_t latency_ms_max = 0;

  bool operator==(const HttpStats&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("requests", m.requests, Rule::kOptional);
    v.Field("status_2xx", m.status_2xx, Rule::kOptional);
    v.Field("status_4xx", m.status_4xx, Rule::kOptional);
    v.Field("status_5xx", m.status_5xx, Rule::kOptional);
    v.Field("transport_errors", m.transport_errors, Rule::kOptional);
    v.Field("latency_ms_total", m.latency_ms_total, Rule::kOptional);
    v.Field("latency_ms_max", m.latency_ms_max, Rule::kOptional);
  }
};

// What one chunk's answers cost and how many were not one of the job's labels (LLM endpoints;
// docs/llm.md). Sent in RESULT when any member is non-zero.
struct ChunkUsage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t answers_invalid = 0;  // answers not one of --labels (re-asked ones included)
  std::uint64_t rows_invalid = 0;     // rows given the error label for that reason

  bool operator==(const ChunkUsage&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("prompt_tokens", m.prompt_tokens, Rule::kOptional);
    v.Field("completion_tokens", m.completion_tokens, Rule::kOptional);
    v.Field("answers_invalid", m.answers_invalid, Rule::kOptional);
    v.Field("rows_invalid", m.rows_invalid, Rule::kOptional);
  }
};

// Requests of a job sent to one endpoint of its pool, by how they ended (docs/architecture.md,
// "The endpoint pool"). In a HEARTBEAT: what one worker counted since its previous heartbeat,
// `cooling` 1 when that worker rests the endpoint after failures now. In a job's status: the
// broker's sums since it started, `cooling` the number of workers resting the endpoint now.
struct EndpointCounts {
  std::string endpoint;  // the URL, credentials taken out
  std::uint64_t answered = 0;      // usable answers (2xx)
  std::uint64_t failed = 0;        // connect errors, resets, timeouts, 5xx
  std::uint64_t rate_limited = 0;  // 429, or 503 with Retry-After
  std::uint64_t refused = 0;       // other answers not usable for the row (4xx, bad body)
  std::uint32_t cooling = 0;

  bool operator==(const EndpointCounts&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("endpoint", m.endpoint, Rule::kRequired);
    v.Field("answered", m.answered, Rule::kOptional);
    v.Field("failed", m.failed, Rule::kOptional);
    v.Field("rate_limited", m.rate_limited, Rule::kOptional);
    v.Field("refused", m.refused, Rule::kOptional);
    v.Field("cooling", m.cooling, Rule::kOptional);
  }
};

// One job's endpoint counts in a worker's HEARTBEAT.
struct JobEndpointCounts {
  std::string job_id;
  std::vector<EndpointCounts> endpoints;

  bool operator==(const JobEndpointCounts&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("endpoints", m.endpoints, Rule::kOptional);
  }
};

// One job in a STATUS_REPLY.
struct JobStatus {
  std::string job_id;
  std::string name;
  JobState state = JobState::kOpen;
  std::uint64_t total_rows = 0;  // 0 until sealed
  std::uint64_t done_rows = 0;
  std::uint64_t error_rows = 0;
  std::uint64_t chunks_total = 0;  // 0 until sealed
  std::uint64_t chunks_queued = 0;
  std::uint64_t chunks_leased = 0;
  std::uint64_t chunks_done = 0;
  std::uint64_t chunks_failed = 0;
  std::uint64_t created_unix_ms = 0;
  std::uint64_t finished_unix_ms = 0;  // 0 while the job runs
  std::string output_path;
  std::string collector;  // endpoint to FETCH the output from; empty if unknown
  std::string collector_public_key;  // its CURVE public key (Z85); empty: CURVE off
  // Why an active job is not being dispatched, "" when it is: "secret" (the broker restarted
  // and needs the job's credential headers again: `sieve resume`).
  std::string waiting_for;
  std::string message;  // for people: why it waits, or why a worker handed a chunk back
  std::uint64_t prompt_tokens = 0;      // summed over committed chunks (LLM endpoints)
  std::uint64_t completion_tokens = 0;
  std::string price;                    // the job's --price, "" when none
  std::string max_cost;                 // the job's budget (JobSpec), "" / 0 when none
  std::uint64_t max_tokens = 0;
  std::vector<EndpointCounts> endpoints;  // an endpoint pool's members (EndpointCounts)
  std::uint64_t cached_rows = 0;        // rows answered from the result cache (committed)

  bool operator==(const JobStatus&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("name", m.name, Rule::kOptional);
    v.Field("state", m.state, Rule::kRequired);
    v.Field("total_rows", m.total_rows, Rule::kOptional);
    v.Field("done_rows", m.done_rows, Rule::kOptional);
    v.Field("error_rows", m.error_rows, Rule::kOptional);
    v.Field("chunks_total", m.chunks_total, Rule::kOptional);
    v.Field("chunks_queued", m.chunks_queued, Rule::kOptional);
    v.Field("chunks_leased", m.chunks_leased, Rule::kOptional);
    v.Field("chunks_done", m.chunks_done, Rule::kOptional);
    v.Field("chunks_failed", m.chunks_failed, Rule::kOptional);
    v.Field("created_unix_ms", m.created_unix_ms, Rule::kOptional);
    v.Field("finished_unix_ms", m.finished_unix_ms, Rule::kOptional);
    v.Field("output_path", m.output_path, Rule::kOptional);
    v.Field("collector", m.collector, Rule::kOptional);
    v.Field("collector_public_key", m.collector_public_key, Rule::kOptional);
    v.Field("waiting_for", m.waiting_for, Rule::kOptional);
    v.Field("message", m.message, Rule::kOptional);
    v.Field("prompt_tokens", m.prompt_tokens, Rule::kOptional);
    v.Field("completion_tokens", m.completion_tokens, Rule::kOptional);
    v.Field("price", m.price, Rule::kOptional);
    v.Field("max_cost", m.max_cost, Rule::kOptional);
    v.Field("max_tokens", m.max_tokens, Rule::kOptional);
    v.Field("endpoints", m.endpoints, Rule::kOptional);
    v.Field("cached_rows", m.cached_rows, Rule::kOptional);
  }
};

// One worker in a WORKERS_REPLY.
struct WorkerInfo {
  std::string name;
  std::string address;  // printable form of the worker's routing identity / peer address
  std::uint32_t credit = 0;
  std::uint32_t leases = 0;
  std::uint64_t last_heartbeat_age_ms = 0;
  std::uint64_t rows_done = 0;
  std::uint32_t in_flight = 0;  // HTTP requests in flight at its last heartbeat

  bool operator==(const WorkerInfo&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("name", m.name, Rule::kRequired);
    v.Field("address", m.address, Rule::kOptional);
    v.Field("credit", m.credit, Rule::kOptional);
    v.Field("leases", m.leases, Rule::kOptional);
    v.Field("last_heartbeat_age_ms", m.last_heartbeat_age_ms, Rule::kOptional);
    v.Field("rows_done", m.rows_done, Rule::kOptional);
    v.Field("in_flight", m.in_flight, Rule::kOptional);
  }
};

}  // namespace sieve::proto
