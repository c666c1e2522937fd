// EngineOptions: everything that configures the HTTP engine, with the defaults of the seed
// notebook where it had one (15 s timeout, label field "label", error label "error").
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/endpoint_pool.h"
#include "worker/request_budget.h"
#include "worker/request_gate.h"
#include "worker/retry_policy.h"

namespace sieve {

enum class HttpVersion {
  kDefault,              // HTTP/2 over TLS when the server offers it (ALPN), else HTTP/1.1
  kHttp1,                // HTTP/1.1 only
  kHttp2PriorKnowledge,  // HTTP/2 without upgrade, also for http:// (h2c)
};

enum class HttpClient {
  kAuto,    // native for http:// without a proxy or h2c, libcurl otherwise
  kCurl,    // libcurl's multi interface for every endpoint
  kNative,  // the native HTTP/1.1 client (worker/http1_transport.h); http:// only
};

struct EngineOptions {
  std::string endpoint;                // http:// or https:// URL that takes a POST per row
  int concurrency = 64;                // requests in flight at most
  bool adaptive = false;               // AIMD: back off on 429/503/timeouts, grow while healthy
  int min_concurrency = 1;             // the adaptive limit never goes below this
  int batch_size = 1;                  // rows per request; > 1 sends JSON arrays
  std::vector<std::string> fields;     // columns sent; empty = all
  // A JSON document with {{column}} placeholders (common/body_template.h): the body of every
  // request. Empty: the body is the row as an object keyed by column (`fields` selects them).
  std::string body_template;
  // The allowed labels (worker/label_set.h): an answer is normalised to one of them, else
  // re-asked up to invalid_retries times, then the row gets the error label. Empty: any
  // answer is the label, as it is.
  std::vector<std::string> labels;
  int invalid_retries = 1;
  std::vector<std::string> headers;    // extra request headers, "Name: value"; never logged
  std::string label_field = "label";   // key or JSON pointer ("/result/label")
  std::string error_label = "error";   // label of a row that failed
  // An answer 401/403 (the endpoint refuses the job's credentials: an API key revoked) labels
  // no row `error`: the chunk stops at once and reports the refusal (ChunkLabels::refused), so
  // the worker hands it back and the broker pauses the job (broker/pause_gate.h). Not while a
  // canary probes (a refused canary fails the job). The distributed worker sets it; the
  // standalone labeller has nobody to hand a chunk back to and labels such rows `error`.
  bool pause_on_refusal = false;
  std::chrono::milliseconds timeout{15'000};         // whole request
  std::chrono::milliseconds connect_timeout{5'000};  // TCP (and TLS) connect
  int retries = 3;                     // retries after the first attempt
  BackoffOptions backoff;
  double retry_budget_ratio = 0.2;     // a chunk may spend this many retries per row...
  size_t retry_budget_min = 16;        // ...but at least this many
  int fail_fast_streak = 32;           // with the budget spent, this many failures in a row stop
                                       // the chunk's unsent rows from being sent
  size_t max_response_bytes = 1 << 20;
  HttpVersion http_version = HttpVersion::kDefault;
  HttpClient http_client = HttpClient::kAuto;
  // PEM file of the CAs that sign an https:// endpoint's certificate (a private CA); empty:
  // the system's CA store.
  std::string ca_file;
  uint64_t seed = 0;                   // jitter seed; 0 = from std::random_device
  // Shared with the other engines of the same worker (worker/request_budget.h); not owned,
  // must outlive the engine. Null: only `concurrency` bounds this engine.
  RequestBudget* shared_budget = nullptr;
  // A pool of replicas that all take the same requests (worker/endpoint_pool.h): two or more
  // URLs, the first equal to `endpoint`. Empty (or one URL): `endpoint` alone.
  std::vector<std::string> endpoints;
  EndpointPoolOptions pool;
  // Rate-limited jobs (docs/limits.md): asked before every request; told of 429s and usage.
  // Not owned, must outlive the engine. Null: no rate limit.
  RequestGate* gate = nullptr;
};

// OK when the options are usable; InvalidArgument naming the flag otherwise (also --http h2c
// on a libcurl that cannot reuse h2c connections, and an unreadable --ca-file).
Status ValidateEngineOptions(const EngineOptions& options);

// OK when `path` names a readable regular file holding at least one PEM certificate;
// InvalidArgument naming --ca-file and the problem otherwise.
Status ValidateCaFile(const std::string& path);

}  // namespace sieve
