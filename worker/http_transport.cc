#include "worker/http_transport.h"

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>

#include "worker/curl_transport.h"
#include "worker/http1_transport.h"
#include "worker/pooled_transport.h"

namespace sieve {
namespace {

// libcurl sends http:// requests through a proxy named in these variables (it ignores
// HTTP_PROXY in capitals for http://); the native client does not speak to proxies.
bool ProxyConfigured() {
  for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

bool UseNative(const EngineOptions& options) {
  switch (options.http_client) {
    case HttpClient::kCurl: return false;
    case HttpClient::kNative: return true;
    case HttpClient::kAuto: break;
  }
  return options.http_version != HttpVersion::kHttp2PriorKnowledge &&
         ParseHttp1Target(options.endpoint).ok() && !ProxyConfigured();
}

}  // namespace

Result<std::unique_ptr<HttpTransport>> CreateTransport(const EngineOptions& options,
                                                       const std::vector<std::string>& headers) {
  if (options.endpoints.size() >= 2) {
    Result<std::unique_ptr<PooledTransport>> pooled = PooledTransport::Create(options, headers);
    if (!pooled.ok()) return pooled.status();
    return std::unique_ptr<HttpTransport>(std::move(pooled).value());
  }
  return CreateSingleTransport(options, headers);
}

Result<std::unique_ptr<HttpTransport>> CreateSingleTransport(
    const EngineOptions& options, const std::vector<std::string>& headers) {
  static std::once_flag curl_global;
  std::call_once(curl_global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!UseNative(options)) {
    Result<std::unique_ptr<CurlTransport>> curl = CurlTransport::Create(options, headers);
    if (!curl.ok()) return curl.status();
    return std::unique_ptr<HttpTransport>(std::move(curl).value());
  }
  if (options.http_version == HttpVersion::kHttp2PriorKnowledge) {
    return Status::InvalidArgument("--http-client native speaks HTTP/1.1 only, not --http h2c");
  }
  Result<std::unique_ptr<Http1Transport>> native = Http1Transport::Create(options, headers);
  if (!native.ok()) return native.status();
  return std::unique_ptr<HttpTransport>(std::move(native).value());
}

}  // namespace sieve
