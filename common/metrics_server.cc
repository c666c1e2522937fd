#include "common/metrics_server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

namespace sieve {
namespace {

constexpr std::chrono::seconds kStartTimeout{5};
constexpr size_t kServerThreads = 2;

bool SameName(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

void Answer(const HttpAnswer& answer, httplib::Response& res) {
  res.status = answer.status;
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  res.set_content(answer.body, answer.content_type.c_str());
}

HttpRequest ToRequest(const httplib::Request& req) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  for (size_t i = 1; i < req.matches.size(); ++i) out.captures.push_back(req.matches[i]);
  for (const auto& [name, value] : req.headers) out.headers.emplace_back(name, value);
  out.body = req.body;
  out.remote = req.remote_addr + ":" + std::to_string(req.remote_port);
  return out;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (SameName(key, name)) return value;
  }
  return "";
}

std::string SerializeMetrics(const prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

struct MetricsServer::Impl {
  std::shared_ptr<prometheus::Registry> registry;
  httplib::Server server;
  std::thread listener;
  int port = 0;

  void RegisterRoutes(std::vector<HttpRoute> routes) {
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(SerializeMetrics(*registry), "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    for (HttpRoute& route : routes) {
      httplib::Server::Handler serve;
      if (route.request_handler) {
        serve = [handler = std::move(route.request_handler)](const httplib::Request& req,
                                                             httplib::Response& res) {
          Answer(handler(ToRequest(req)), res);
        };
      } else {
        serve = [handler = std::move(route.handler)](const httplib::Request& req,
                                                     httplib::Response& res) {
          std::vector<std::string> captures;
          for (size_t i = 1; i < req.matches.size(); ++i) captures.push_back(req.matches[i]);
          Answer(handler(captures), res);
        };
      }
      if (route.method == "POST") {
        server.Post(route.pattern, std::move(serve));
      } else {
        server.Get(route.pattern, std::move(serve));
      }
    }
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("internal error\n", "text/plain");
        });
  }
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

int MetricsServer::port() const { return impl_->port; }

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const HostPort& address, std::shared_ptr<prometheus::Registry> registry,
    std::vector<HttpRoute> routes) {
  auto impl = std::make_unique<Impl>();
  impl->registry = std::move(registry);
  impl->RegisterRoutes(std::move(routes));
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and
  // take half the scrapes; SO_REUSEADDR alone makes a busy port an error, as it should be.
  impl->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const std::string text = address.host + ":" + std::to_string(address.port);
  impl->port = address.port == 0 ? impl->server.bind_to_any_port(address.host)
               : impl->server.bind_to_port(address.host, address.port) ? address.port
                                                                        : -1;
  if (impl->port <= 0) return Status::Unavailable("cannot serve metrics on " + text);
  Impl* raw = impl.get();
  impl->listener = std::thread([raw] { raw->server.listen_after_bind(); });
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(impl)));
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!raw->server.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("metrics server on " + text + " did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::StartAndAnnounce(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry,
    std::vector<HttpRoute> routes) {
  Result<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) return parsed.status();
  Result<std::unique_ptr<MetricsServer>> server =
      Start(*parsed, std::move(registry), std::move(routes));
  if (!server.ok()) return server.status();
  const bool ipv6 = parsed->host.find(':') != std::string::npos;
  std::printf("metrics on %s:%d\n", (ipv6 ? "[" + parsed->host + "]" : parsed->host).c_str(),
              (*server)->port());
  std::fflush(stdout);
  return server;
}

}  // namespace sieve
