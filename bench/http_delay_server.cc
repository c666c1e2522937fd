// http_delay_server: a minimal epoll HTTP/1.1 server for the HTTP engine benchmarks. It answers
// every request with one fixed JSON body after --delay-ms, on keep-alive connections, from one
// thread, so a delay of 20 ms with 256 connections costs timers, not threads.
//
//   http_delay_server --port 0 --delay-ms 20 --max-seconds 300
//
// Prints "listening on 127.0.0.1:PORT" on stdout once ready; exits after --max-seconds.
//
// DESIGN: one epoll loop. Readable connection: read what is there, and for each complete
// request (headers + Content-Length body) either answer now (delay 0) or push (due time,
// connection id) on a min-heap of timers. Each iteration waits until the earliest timer and
// answers the due ones. The wait has nanosecond resolution (epoll_pwait2, 1 ns timer slack):
// with epoll_wait's whole milliseconds a timer could fire up to ~1 ms late whenever no request
// happened to wake the loop first, so the delay added depended on the client's sending pattern
// (measured with tcpdump: 21.5 ms mean for a client sending in bursts, 20.3 ms for an even
// one). Writes that do not complete wait for EPOLLOUT. A closed connection's pending timers
// are skipped (its id is gone from the table). Benchmark tool, loopback only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  bool want_write = false;
};

struct Timer {
  Clock::time_point due;
  uint64_t connection;
  bool operator>(const Timer& other) const { return due > other.due; }
};

class DelayServer {
 public:
  DelayServer(int listen_fd, std::chrono::milliseconds delay, const std::string& body)
      : listen_fd_(listen_fd), delay_(delay), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    response_ = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
    Watch(listen_fd_, 0, EPOLLIN, EPOLL_CTL_ADD);
  }

  void Run(Clock::time_point stop_at) {
    epoll_event events[256];
    while (Clock::now() < stop_at) {
      const timespec wait = WaitTime(stop_at);
      const int n = epoll_pwait2(epoll_fd_, events, 256, &wait, nullptr);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == 0) {
          Accept();
        } else if (events[i].events & EPOLLOUT) {
          Flush(id);
        } else {
          Read(id);
        }
      }
      FireTimers();
    }
  }

 private:
  void Watch(int fd, uint64_t id, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  timespec WaitTime(Clock::time_point stop_at) const {
    Clock::time_point until = stop_at;
    if (!timers_.empty() && timers_.top().due < until) until = timers_.top().due;
    const int64_t ns = std::max<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(until - Clock::now()).count(), 0);
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }

  void Accept() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      const uint64_t id = next_id_++;
      connections_[id] = Connection{fd, {}, {}, false};
      Watch(fd, id, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  void Read(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    char buf[65536];
    // One recv per readiness event unless it fills the buffer (level-triggered epoll reports
    // the rest): a second recv that would only say EAGAIN costs as much as the answer's send.
    for (;;) {
      const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) == sizeof(buf)) continue;
        break;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return Close(it);
      break;
    }
    while (TakeRequest(&c.in)) {
      if (delay_.count() == 0) {
        c.out += response_;
      } else {
        timers_.push(Timer{Clock::now() + delay_, id});
      }
    }
    if (!c.out.empty()) Flush(id);
  }

  // Removes one complete request from the front of `in`; false when none is complete.
  static bool TakeRequest(std::string* in) {
    const size_t end = in->find("\r\n\r\n");
    if (end == std::string::npos) return false;
    size_t length = 0;
    for (size_t pos = in->find('\n'); pos < end; pos = in->find('\n', pos + 1)) {
      if (strncasecmp(in->data() + pos + 1, "content-length:", 15) == 0) {
        length = std::strtoul(in->data() + pos + 16, nullptr, 10);
      }
    }
    if (in->size() < end + 4 + length) return false;
    in->erase(0, end + 4 + length);
    return true;
  }

  void FireTimers() {
    const Clock::time_point now = Clock::now();
    while (!timers_.empty() && timers_.top().due <= now) {
      const uint64_t id = timers_.top().connection;
      timers_.pop();
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      it->second.out += response_;
      Flush(id);
    }
  }

  void Flush(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    while (!c.out.empty()) {
      const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) return Close(it);
        break;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
    const bool want_write = !c.out.empty();
    if (want_write != c.want_write) {
      c.want_write = want_write;
      Watch(c.fd, id, want_write ? EPOLLIN | EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
    }
  }

  void Close(std::unordered_map<uint64_t, Connection>::iterator it) {
    close(it->second.fd);
    connections_.erase(it);
  }

  const int listen_fd_;
  const std::chrono::milliseconds delay_;
  const int epoll_fd_;
  std::string response_;
  std::unordered_map<uint64_t, Connection> connections_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t next_id_ = 1;  // 0 is the listening socket
};

int Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4096) != 0) {
    std::perror("http_delay_server: bind/listen");
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fixed-answer HTTP server with a per-request delay (benchmarks only)"};
  int port = 0;
  int delay_ms = 0;
  int max_seconds = 300;
  std::string body = R"({"label":"news"})";
  app.add_option("--port", port, "loopback port; 0 picks one")->capture_default_str();
  app.add_option("--delay-ms", delay_ms, "delay before each answer")->capture_default_str();
  app.add_option("--max-seconds", max_seconds, "exit after this long")->capture_default_str();
  app.add_option("--body", body, "the answer")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const int fd = Listen(port);
  if (fd < 0) return 1;
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  prctl(PR_SET_TIMERSLACK, 1UL);  // timers fire on time, not up to 50 us late
  DelayServer server(fd, std::chrono::milliseconds(delay_ms), body);
  server.Run(Clock::now() + std::chrono::seconds(max_seconds));
  return 0;
}
