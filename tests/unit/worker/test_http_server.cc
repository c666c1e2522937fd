// DESIGN: one accept thread; one thread per connection that reads a request (headers and a
// Content-Length body), asks the handler what to do, and answers or misbehaves. Stopping sets
// stopping_, shuts down the listening socket and every open connection (which wakes blocked
// reads) and notifies stop_cv_ (which wakes delays and stalls), then joins every thread.
#include "test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace sieve::testing {
namespace {

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Head(const TestResponse& r, size_t content_length) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " Test\r\n";
  head += "Content-Type: application/json\r\n";
  head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  for (const std::string& h : r.headers) head += h + "\r\n";
  return head + "\r\n";
}

}  // namespace

TestHttpServer::TestHttpServer(TestHandler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 512) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("test server: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  stop_cv_.notify_all();
  for (std::thread& t : threads) t.join();
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<TestRequest> TestHttpServer::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

void TestHttpServer::AcceptLoop() {
  while (!stopping_) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    open_fds_.insert(fd);
    threads_.emplace_back([this, fd] { ServeConnection(fd); });
  }
}

void TestHttpServer::ServeConnection(int fd) {
  std::string buffer;
  TestRequest request;
  bool keep_open = true;
  for (uint64_t on_connection = 0;
       keep_open && !stopping_ && ReadRequest(fd, &buffer, &request); ++on_connection) {
    request.on_connection = on_connection;
    const uint64_t seq = requests_++;
    const int now = ++concurrent_;
    int seen = max_concurrent_.load();
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(request);
    }
    const TestResponse response = handler_(request, seq);
    if (response.delay.count() > 0 && WaitForStop(response.delay)) keep_open = false;
    --concurrent_;
    if (keep_open) Answer(fd, response);
    keep_open = keep_open && (response.fault == Fault::kNone ||
                              response.fault == Fault::kRawKeepOpen);
    if (keep_open && !response.then_on_idle.empty()) {
      if (!WaitForStop(std::chrono::milliseconds(50))) SendAll(fd, response.then_on_idle);
      keep_open = false;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  close(fd);
}

bool TestHttpServer::ReadRequest(int fd, std::string* buffer, TestRequest* request) {
  size_t header_end;
  char chunk[16384];
  while ((header_end = buffer->find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
  *request = TestRequest{};
  const std::string head = buffer->substr(0, header_end);
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.find(' ', sp1 + 1);
  request->method = request_line.substr(0, sp1);
  request->path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(line_end + 2, next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request->headers[Lower(line.substr(0, colon))] = value;
    }
    line_end = next;
  }
  const auto length_it = request->headers.find("content-length");
  const size_t length = length_it == request->headers.end() ? 0 : std::stoul(length_it->second);
  while (buffer->size() < header_end + 4 + length) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
  request->body = buffer->substr(header_end + 4, length);
  buffer->erase(0, header_end + 4 + length);
  return true;
}

void TestHttpServer::Answer(int fd, const TestResponse& r) {
  switch (r.fault) {
    case Fault::kNone:
      SendAll(fd, Head(r, r.body.size()) + r.body);
      return;
    case Fault::kReset: {
      linger hard{1, 0};  // close() now sends RST
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
      shutdown(fd, SHUT_RD);
      return;
    }
    case Fault::kStall:
      SendAll(fd, Head(r, r.body.size()) + r.body.substr(0, r.body.size() / 2));
      StallUntilClosed(fd);
      return;
    case Fault::kTruncate:
      SendAll(fd, Head(r, r.body.size() + 10) + r.body);
      return;
    case Fault::kCloseEarly:
      return;
    case Fault::kRaw:
    case Fault::kRawKeepOpen:
      SendAll(fd, r.raw);
      return;
  }
}

bool TestHttpServer::WaitForStop(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

// Waits until the client closes the connection or the server stops.
void TestHttpServer::StallUntilClosed(int fd) {
  char byte;
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0 && recv(fd, &byte, 1, MSG_PEEK) <= 0) return;
  }
}

}  // namespace sieve::testing
