// Http1Target: where an http:// URL points and the request head that goes with it, for the
// native HTTP/1.1 transport (worker/http1_transport.h). Parsed with libcurl's URL API, so it
// accepts exactly the URLs libcurl does.
#pragma once

#include <string>

#include "common/status.h"

namespace sieve {

struct Http1Target {
  std::string host;          // for the resolver: no brackets around IPv6
  std::string port;          // "80" when the URL gives none
  std::string host_header;   // "host" or "host:port" as the URL has it
  std::string path;          // path and query: "/classify?x=1"
};

// InvalidArgument when `url` is not an http:// URL this transport can reach (https://,
// user:password@, not a URL at all).
Result<Http1Target> ParseHttp1Target(const std::string& url);

}  // namespace sieve
