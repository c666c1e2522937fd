// Http1Transport: the engine's requests as HTTP/1.1 over plain TCP, written for the hot path.
//
// Why not libcurl here: against a fast endpoint the engine is CPU-bound, and per request
// libcurl 7.88 spends about as much CPU as the kernel does (URL and connection bookkeeping,
// header lists, allocations) and makes two extra poll() calls (a liveness check of the reused
// connection and one after sending); see docs/benchmarks.md. This transport does one send
// and usually one recv per request on a kept-alive connection, and nothing else.
//
// Scope: http:// endpoints without a proxy (CreateTransport in http_transport.h falls back to
// libcurl for everything else: https://, HTTP/2, proxies, user:password@ URLs). Behaviour
// matches CurlTransport's, so the engine classifies both alike:
//   - one connection per request in flight, kept alive and reused (most recently used
//     first) while the server allows it; at most EngineOptions::concurrency connections;
//   - a request on a reused connection that the server had closed (nothing came back) is
//     sent once more on a fresh connection, as libcurl does; so is one answered by a 408 (the
//     server timed the idle connection out as the request went out), as browsers do, where
//     libcurl instead polls a connection before reusing it;
//   - the endpoint's name is resolved when the transport is made and again when a connection
//     is needed and the addresses are over 60 s old (libcurl's DNS cache time), at most once
//     a second while it fails. A refresh runs on a thread of its own and the loop keeps the
//     old addresses meanwhile, so a slow resolver never holds up answers; only while there
//     is no address at all (so no connection either) does the loop wait for getaddrinfo.
//     Addresses are tried in order until one connects;
//   - the request timeout counts from Start, the connect timeout from each connect call; a
//     connect that is refused or times out moves on to the next address while there is one.
//
// Thread-safety: see http_transport.h.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "worker/event_poller.h"
#include "worker/http1_response_parser.h"
#include "worker/http1_target.h"
#include "worker/http_transport.h"

namespace sieve {

class Http1Transport final : public HttpTransport {
 public:
  struct Resolved {  // the endpoint's addresses, or why there are none
    std::vector<sockaddr_storage> addresses;
    std::vector<socklen_t> lengths;
    std::string error;
  };
  // Looks a host and port up; may block; called on the loop's thread or a thread of its own.
  using Resolver = std::function<Resolved(const std::string& host, const std::string& port)>;
  // getaddrinfo.
  static Resolved SystemResolve(const std::string& host, const std::string& port);

  // `headers` as in CreateTransport. InvalidArgument for an endpoint ParseHttp1Target
  // refuses, Internal when the kernel refuses an epoll set. `options` must outlive it.
  // `resolver`: SystemResolve but in tests.
  static Result<std::unique_ptr<Http1Transport>> Create(const EngineOptions& options,
                                                        const std::vector<std::string>& headers,
                                                        Resolver resolver = SystemResolve);
  ~Http1Transport() override;  // closes every connection

  Status Start(int slot, std::string_view body, std::string_view idempotency_key) override;
  void Abort(int slot) override;
  void RunDueTimers() override;
  int TimerMillis() const override;
  void Wait(int wait_ms) override;
  int NextDone() override;
  TransferReport Report(int slot) const override;
  void Wakeup() override { poller_->Wakeup(); }
  bool TakeWakeup() override { return poller_->TakeWakeup(); }
  int PollFd() const override { return poller_->fd(); }

 private:
  using Clock = std::chrono::steady_clock;
  enum class RequestState { kIdle, kInFlight, kDone };

  struct Request {  // by slot
    RequestState state = RequestState::kIdle;
    uint64_t generation = 0;   // counts Starts, so stale timers and done entries are ignored
    int fd = -1;               // its connection while in flight
    bool resent = false;       // already sent again after a reused connection died or 408'd
    size_t addresses_tried = 0;
    Clock::time_point start;
    std::string head;          // request line and headers, built at Start
    std::string_view body;     // borrowed from the engine
    // The outcome, once done.
    TransferError error = TransferError::kNone;
    std::string error_text;
    int status = 0;
    int64_t retry_after_seconds = 0;
    int64_t ratelimit_remaining = -1;  // x-ratelimit-remaining-requests; -1: absent
    int64_t ratelimit_reset_ms = 0;
    std::string response;
    std::chrono::microseconds duration{0};
  };
  struct Connection {  // by fd
    explicit Connection(size_t max_body) : parser(max_body) {}
    uint64_t serial = 0;       // unique over the transport's life, unlike the fd number
    int slot = -1;             // the request on it; -1 when idle
    bool connecting = false;
    bool reused = false;       // carried a whole exchange before this request
    size_t address = 0;        // index in addresses_
    Clock::time_point connect_deadline;
    uint32_t events = 0;       // what the poller watches
    size_t sent = 0;           // bytes of the request's head + body sent
    Http1ResponseParser parser;
  };
  struct Timer {
    Clock::time_point due;
    int slot;
    uint64_t generation;
  };
  struct ResolveJob {  // shared with the resolving thread, which may outlive the transport
    std::mutex mutex;
    bool done = false;  // guarded by mutex, as result
    Resolved result;
  };

  Http1Transport(const EngineOptions& options, Http1Target target, std::string head_prefix,
                 std::unique_ptr<EventPoller> poller, Resolver resolver);
  // Takes fresh addresses; after a failure keeps the ones it had and the reason.
  void Adopt(Resolved resolved);
  // Adopts a finished background resolve; resolves at once when there is no address, and
  // starts a background resolve when the addresses are old.
  void RefreshAddresses();
  // The answer on a reused connection is a 408 and the request was not yet sent again: the
  // server timed the connection out before reading the request. Marks the request resent.
  bool TimedOutBeforeTheRequest(int fd);
  void Connect(int slot);
  void OnConnected(int fd);
  void Send(int fd);
  void Receive(int fd);
  void OnEvent(int fd, uint32_t events);
  void Watch(int fd, uint32_t events);
  // The connection failed before an answer: resend on a fresh one when it was a reused one
  // the server had closed, or when a connect was refused or timed out and the name has an
  // address not yet tried; else finish the request with `error`.
  void Broken(int fd, TransferError error, std::string text);
  // Closes the request's connection and sends the request again on a fresh one.
  void Reconnect(int fd);
  void Finish(int slot, TransferError error, std::string text);
  // Detaches the request from its connection; keeps the connection for the next request when
  // `reusable`, else closes it.
  void Release(int fd, bool reusable);
  void CloseConnection(int fd);
  // True while the timer's request is the one in flight in its slot.
  static bool IsLive(const Timer& timer, const std::vector<Request>& requests);
  static void PopStale(std::deque<Timer>* timers, const std::vector<Request>& requests);
  // Drops the entries of finished requests from anywhere in `timers` once they are most of
  // it, so the deque holds O(requests in flight) entries rather than O(timeout x rate).
  static void DropStale(std::deque<Timer>* timers, const std::vector<Request>& requests);

  const EngineOptions& options_;
  const Http1Target target_;
  const std::string head_prefix_;  // "POST path HTTP/1.1\r\nHost: ...\r\n...Idempotency-Key: "
  std::unique_ptr<EventPoller> poller_;
  const Resolver resolver_;
  std::vector<sockaddr_storage> addresses_;
  std::vector<socklen_t> address_lengths_;
  size_t preferred_address_ = 0;   // the last one that connected
  Clock::time_point resolved_at_;
  Clock::time_point last_resolve_try_;
  std::string resolve_error_ = "the endpoint's name has no address";
  std::shared_ptr<ResolveJob> resolving_;  // a background resolve not yet adopted, or null
  uint64_t connections_made_ = 0;          // numbers the connections (Connection::serial)
  std::vector<Request> requests_;                      // by slot
  std::vector<std::unique_ptr<Connection>> connections_;  // by fd; null when not ours
  std::vector<int> idle_;                              // kept-alive connections, LIFO
  std::deque<std::pair<int, uint64_t>> done_;          // (slot, generation) finished
  std::deque<Timer> timeouts_;          // request deadlines, in order (one timeout for all)
  std::deque<Timer> connect_timeouts_;  // connect deadlines, in order
  char buffer_[64 * 1024];              // one recv's worth
};

}  // namespace sieve
