#include "worker/curl_transfer.h"

#include "worker/http_header.h"

namespace sieve {
namespace {

long CurlHttpVersion(HttpVersion version) {
  switch (version) {
    case HttpVersion::kHttp1: return CURL_HTTP_VERSION_1_1;
    case HttpVersion::kHttp2PriorKnowledge: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case HttpVersion::kDefault: break;
  }
  return CURL_HTTP_VERSION_2TLS;
}

// PIPEWAIT (wait for a connection's protocol before opening another) only pays where HTTP/2
// can happen; on plain HTTP/1.1 it would queue requests behind busy connections.
bool MayMultiplex(const EngineOptions& options) {
  switch (options.http_version) {
    case HttpVersion::kHttp1: return false;
    case HttpVersion::kHttp2PriorKnowledge: return true;
    case HttpVersion::kDefault: break;
  }
  return options.endpoint.rfind("https://", 0) == 0;
}

}  // namespace

TransferError TransferErrorFromCurl(CURLcode code, std::string_view error_text, bool too_large) {
  switch (code) {
    case CURLE_OK: return TransferError::kNone;
    case CURLE_OPERATION_TIMEDOUT:
      // curl words a connect-phase timeout "Connection timed out after ...".
      return error_text.rfind("Connection timed out", 0) == 0 ? TransferError::kConnectTimeout
                                                              : TransferError::kTimeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST: return TransferError::kConnect;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return TransferError::kReset;
    case CURLE_GOT_NOTHING: return TransferError::kEmptyReply;
    case CURLE_PARTIAL_FILE: return TransferError::kTruncated;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return TransferError::kHttp2;
    case CURLE_PEER_FAILED_VERIFICATION: return TransferError::kTlsUntrusted;
    case CURLE_SSL_CACERT_BADFILE: return TransferError::kTlsCaFile;
    case CURLE_WRITE_ERROR: return too_large ? TransferError::kTooLarge : TransferError::kOther;
    default: return TransferError::kOther;
  }
}

Result<std::unique_ptr<Transfer>> Transfer::Create(const EngineOptions& options, int slot) {
  std::unique_ptr<Transfer> transfer(new Transfer(options, slot));
  transfer->easy_ = curl_easy_init();
  if (transfer->easy_ == nullptr) return Status::Internal("curl_easy_init failed");
  SIEVE_RETURN_IF_ERROR(transfer->Configure());
  return transfer;
}

Transfer::~Transfer() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

Status Transfer::Configure() {
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy_, option, value);
  };
  set(CURLOPT_URL, options_.endpoint.c_str());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  set(CURLOPT_HTTP_VERSION, CurlHttpVersion(options_.http_version));
  set(CURLOPT_PIPEWAIT, MayMultiplex(options_) ? 1L : 0L);
  set(CURLOPT_TCP_NODELAY, 1L);
  set(CURLOPT_USERAGENT, "sieve-worker");
  set(CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_PRIVATE, static_cast<void*>(this));
  set(CURLOPT_ERRORBUFFER, error_);
  if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str());
  if (rc != CURLE_OK) {
    return Status::Internal(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

Status Transfer::Load(std::string_view body, std::string_view idempotency_key,
                      const std::vector<std::string>& base_headers) {
  response_.clear();
  too_large_ = false;
  ratelimit_remaining_.clear();
  ratelimit_reset_.clear();
  code_ = CURLE_OK;
  error_[0] = '\0';
  curl_slist_free_all(headers_);
  headers_ = nullptr;
  for (const std::string& header : base_headers) {
    headers_ = curl_slist_append(headers_, header.c_str());
    if (headers_ == nullptr) return Status::Internal("curl_slist_append: out of memory");
  }
  const std::string key = std::string("Idempotency-Key: ").append(idempotency_key);
  curl_slist* with_key = curl_slist_append(headers_, key.c_str());
  if (with_key == nullptr) return Status::Internal("curl_slist_append: out of memory");
  headers_ = with_key;
  CURLcode rc = curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  if (rc == CURLE_OK) {
    rc = curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(body.size()));
  }
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
  if (rc != CURLE_OK) {
    return Status::Internal(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

size_t Transfer::OnWrite(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  const size_t bytes = size * count;
  if (transfer->response_.size() + bytes > transfer->options_.max_response_bytes) {
    transfer->too_large_ = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  transfer->response_.append(data, bytes);
  return bytes;
}

size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {  // a status line: the headers of a new answer follow
    transfer->ratelimit_remaining_.clear();
    transfer->ratelimit_reset_.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  const std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (EqualsIgnoreCase(name, "x-ratelimit-remaining-requests")) {
    transfer->ratelimit_remaining_ = std::string(value.substr(0, 32));
  } else if (EqualsIgnoreCase(name, "x-ratelimit-reset-requests")) {
    transfer->ratelimit_reset_ = std::string(value.substr(0, 32));
  }
  return bytes;
}

TransferReport Transfer::Report() const {
  TransferReport report;
  const std::string_view text = error_[0] != '\0' ? std::string_view(error_)
                                                   : std::string_view(curl_easy_strerror(code_));
  report.error = TransferErrorFromCurl(code_, text, too_large_);
  report.error_text = text;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &report.http_status);
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(easy_, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK) {
    report.retry_after_seconds = retry_after;
  }
  report.ratelimit_remaining = ParseRateLimitRemaining(ratelimit_remaining_);
  report.ratelimit_reset_ms = ParseRateLimitReset(ratelimit_reset_);
  report.body = response_;
  curl_off_t total = 0;
  curl_easy_getinfo(easy_, CURLINFO_TOTAL_TIME_T, &total);
  report.duration = std::chrono::microseconds(total);
  return report;
}

}  // namespace sieve
