// TestHttpServer: a raw-socket HTTP/1.1 server on 127.0.0.1 for the engine's tests, able to
// misbehave on purpose: reset the connection, stall mid-response, send a truncated body, close
// without answering, or delay its answer. One thread per connection, keep-alive supported.
//
// Thread-safety: the handler runs on connection threads, concurrently; the accessors are
// thread-safe. The destructor stops every thread (stalled connections included) promptly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sieve::testing {

struct TestRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  uint64_t on_connection = 0;  // 0-based index of this request on its connection
};

enum class Fault {
  kNone,
  kReset,       // RST instead of an answer
  kStall,       // headers and half the body, then silence until the client gives up
  kTruncate,    // a Content-Length longer than the body, then close
  kCloseEarly,  // close without a byte of answer
  kRaw,         // send TestResponse::raw verbatim, then close
  kRawKeepOpen, // send TestResponse::raw verbatim, keep the connection for the next request
};

struct TestResponse {
  int status = 200;
  std::string body = R"({"label":"ok"})";
  std::vector<std::string> headers{};  // extra "Name: value" lines
  Fault fault = Fault::kNone;
  std::chrono::milliseconds delay{0};  // before answering
  std::string raw{};                   // the whole answer, for Fault::kRaw*
  // Sent 50 ms after the answer, whatever the client sent meanwhile (left unread), and then
  // the connection is closed: a server timing out a kept-alive connection with a 408.
  // Empty: nothing.
  std::string then_on_idle{};
};

// Called for every request with its 0-based sequence number over the server's life.
using TestHandler = std::function<TestResponse(const TestRequest&, uint64_t)>;

class TestHttpServer {
 public:
  explicit TestHttpServer(TestHandler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/classify") const;

  uint64_t requests() const { return requests_.load(); }
  uint64_t connections() const { return connections_.load(); }
  int max_concurrent() const { return max_concurrent_.load(); }  // handlers running at once
  std::vector<TestRequest> received() const;

 private:
  void AcceptLoop();
  void ServeConnection(int fd);
  bool ReadRequest(int fd, std::string* buffer, TestRequest* request);
  void Answer(int fd, const TestResponse& response);
  bool WaitForStop(std::chrono::milliseconds d);  // true when stopping
  void StallUntilClosed(int fd);

  TestHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> connections_{0};
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::set<int> open_fds_;             // GUARDED_BY(mu_)
  std::vector<TestRequest> received_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;   // GUARDED_BY(mu_)
  std::thread acceptor_;
};

}  // namespace sieve::testing
