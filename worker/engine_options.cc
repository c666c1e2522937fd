#include "worker/engine_options.h"

#include <curl/curl.h>

#include <algorithm>
#include <filesystem>

#include "common/file_util.h"
#include "common/redact.h"

namespace sieve {
namespace {

Status ValidateHeader(const std::string& header) {
  const size_t colon = header.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--header must look like 'Name: value'");
  }
  if (header.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument("--header must not contain line breaks");
  }
  return Status::Ok();
}

// libcurl before 8.0.0 (Debian 12 ships 7.88.1) stacks a second HTTP/2 layer on a reused h2c
// connection: every request after a connection's first fails with "Error in the HTTP2
// framing layer" (curl issue #10634, fixed in 8.0.0). HTTP/2 over TLS is not affected.
constexpr unsigned kFirstCurlWithWorkingH2c = 0x080000;

}  // namespace

Status ValidateCaFile(const std::string& path) {
  const std::string what = "--ca-file " + path + ": ";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::InvalidArgument(what + "not a file (give a PEM file of CA certificates)");
  }
  Result<std::string> pem = ReadFile(path);
  if (!pem.ok()) return Status::InvalidArgument(what + pem.status().message());
  if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::InvalidArgument(what + "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return Status::Ok();
}

Status ValidateEngineOptions(const EngineOptions& o) {
  if (o.endpoint.rfind("http://", 0) != 0 && o.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--endpoint must be an http:// or https:// URL, got '" +
                                   RedactUrl(o.endpoint) + "'");
  }
  if (o.endpoints.size() > EndpointPool::kMaxEndpoints) {
    return Status::InvalidArgument("at most " + std::to_string(EndpointPool::kMaxEndpoints) +
                                   " endpoints in a pool");
  }
  for (const std::string& url : o.endpoints) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return Status::InvalidArgument("--endpoint must be an http:// or https:// URL, got '" +
                                     RedactUrl(url) + "'");
    }
  }
  if (o.endpoints.size() >= 2 && o.endpoints.front() != o.endpoint) {
    return Status::InvalidArgument("the first endpoint of a pool must be the job's endpoint");
  }
  if (o.pool.failure_threshold < 1 || o.pool.cooldown_base.count() < 1 ||
      o.pool.cooldown_max < o.pool.cooldown_base) {
    return Status::InvalidArgument("endpoint pool: need failure threshold >= 1 and "
                                   "0 < cooldown base <= cooldown max");
  }
  if (o.concurrency < 1 || o.concurrency > 100'000) {
    return Status::InvalidArgument("--concurrency must be in [1, 100000]");
  }
  if (o.min_concurrency < 1 || o.min_concurrency > o.concurrency) {
    return Status::InvalidArgument("--min-concurrency must be in [1, --concurrency]");
  }
  if (o.batch_size < 1 || o.batch_size > 100'000) {
    return Status::InvalidArgument("--batch-size must be in [1, 100000]");
  }
  if (o.timeout.count() <= 0 || o.connect_timeout.count() <= 0) {
    return Status::InvalidArgument("--timeout-ms and --connect-timeout-ms must be positive");
  }
  if (o.retries < 0 || o.retries > 100) {
    return Status::InvalidArgument("--retries must be in [0, 100]");
  }
  if (o.backoff.base.count() < 0 || o.backoff.max < o.backoff.base ||
      o.backoff.retry_after_max.count() < 0) {
    return Status::InvalidArgument("backoff: need 0 <= base <= max and retry_after_max >= 0");
  }
  if (o.invalid_retries < 0 || o.invalid_retries > 10) {
    return Status::InvalidArgument("--invalid-retries must be in [0, 10]");
  }
  if (o.retry_budget_ratio < 0 || o.fail_fast_streak < 1) {
    return Status::InvalidArgument("retry budget: need ratio >= 0 and fail-fast streak >= 1");
  }
  if (o.max_response_bytes == 0) {
    return Status::InvalidArgument("max_response_bytes must be positive");
  }
  for (const std::string& header : o.headers) SIEVE_RETURN_IF_ERROR(ValidateHeader(header));
  if (o.http_version == HttpVersion::kHttp2PriorKnowledge &&
      curl_version_info(CURLVERSION_NOW)->version_num < kFirstCurlWithWorkingH2c) {
    return Status::InvalidArgument(
        std::string("--http h2c needs libcurl 8.0.0 or later; this libcurl (") +
        curl_version_info(CURLVERSION_NOW)->version +
        ") fails every request after the first on a reused h2c connection (curl issue "
        "#10634): use an https:// endpoint (HTTP/2 through ALPN) or --http 1.1");
  }
  if (!o.ca_file.empty()) SIEVE_RETURN_IF_ERROR(ValidateCaFile(o.ca_file));
  return Status::Ok();
}

}  // namespace sieve
