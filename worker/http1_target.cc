#include "worker/http1_target.h"

#include <curl/curl.h>

#include <memory>

namespace sieve {
namespace {

std::string CurlUrlPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK) return {};
  std::string value(text);
  curl_free(text);
  return value;
}

}  // namespace

Result<Http1Target> ParseHttp1Target(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (parsed == nullptr || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return Status::InvalidArgument("--endpoint is not a valid URL");
  }
  if (CurlUrlPart(parsed.get(), CURLUPART_SCHEME) != "http") {
    return Status::InvalidArgument("--http-client native takes http:// endpoints only");
  }
  if (!CurlUrlPart(parsed.get(), CURLUPART_USER).empty()) {
    return Status::InvalidArgument(
        "--http-client native does not send user:password@ from the URL (use --header "
        "'Authorization: ...' or --http-client curl)");
  }
  Http1Target target;
  target.host = CurlUrlPart(parsed.get(), CURLUPART_HOST);
  const std::string given_port = CurlUrlPart(parsed.get(), CURLUPART_PORT);
  target.port = given_port.empty() ? "80" : given_port;
  target.host_header = given_port.empty() || given_port == "80" ? target.host
                                                                : target.host + ":" + given_port;
  if (target.host.size() > 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  // curl_url normalises an empty path to "/".
  target.path = CurlUrlPart(parsed.get(), CURLUPART_PATH);
  const std::string query = CurlUrlPart(parsed.get(), CURLUPART_QUERY);
  if (!query.empty()) target.path.append(1, '?').append(query);
  return target;
}

}  // namespace sieve
