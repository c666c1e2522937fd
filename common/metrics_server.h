// MetricsServer: the HTTP side of a Sieve daemon's observability. Serves
//   GET /metrics   Prometheus text exposition (0.0.4) of one prometheus::Registry
//   GET /healthz   "ok"
//   GET <route>    extra read-only routes a component adds (the broker's status API)
//   POST <route>   extra routes that see the whole request (the broker console's actions)
// on its own thread, so a slow scrape never stalls a component's event loop.
//
// DESIGN (threads)
// One listener thread runs httplib's accept loop; httplib's pool (2 threads) answers requests.
// Handlers only read the registry (prometheus-cpp collects under its own locks) or call the
// route callbacks, which must be thread-safe (the broker's serve a snapshot under a mutex).
//
// Thread-safety: Start/Stop from one thread; handlers run on the server's threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/registry.h>

#include "common/host_port.h"
#include "common/status.h"

namespace sieve {

// The Prometheus text exposition of every family in `registry`.
std::string SerializeMetrics(const prometheus::Registry& registry);

struct HttpAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers = {};  // more response headers
};

// What a `request_handler` sees of a request. Header names are matched case-insensitively.
struct HttpRequest {
  std::string method;
  std::string path;
  std::vector<std::string> captures;  // the route pattern's capture groups
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "ADDR:PORT" of the peer
  // The value of header `name` (case-insensitive), "" when absent.
  std::string Header(const std::string& name) const;
};

struct HttpRoute {
  std::string pattern;  // httplib (ECMAScript) regex matched against the whole path
  // Called with the pattern's capture groups; must be thread-safe.
  std::function<HttpAnswer(const std::vector<std::string>& captures)> handler;
  // "GET" or "POST". A route with a request_handler is served by it (with the whole request)
  // instead of `handler`; it must be thread-safe too.
  std::string method = "GET";
  std::function<HttpAnswer(const HttpRequest& request)> request_handler = {};
};

class MetricsServer {
 public:
  // Binds `address` (port 0: the kernel picks one, see port()) and starts serving.
  // Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<MetricsServer>> Start(
      const HostPort& address, std::shared_ptr<prometheus::Registry> registry,
      std::vector<HttpRoute> routes = {});
  // Parses "HOST:PORT" (InvalidArgument) and starts, printing "metrics on HOST:PORT" to stdout
  // (one line, flushed) so scripts and tests that ask for port 0 learn the port.
  static Result<std::unique_ptr<MetricsServer>> StartAndAnnounce(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry,
      std::vector<HttpRoute> routes = {});
  ~MetricsServer();  // stops the server and joins its threads
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sieve
