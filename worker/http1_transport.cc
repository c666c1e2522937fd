// DESIGN: one epoll set (EventPoller), level-triggered. A connection carrying a request waits
// for EPOLLIN (and EPOLLOUT while connecting or while a send is incomplete); an idle kept-alive
// connection stays registered for EPOLLIN, so a server that closes it is noticed at once and
// the connection dropped without any liveness probe before reuse. Each readiness event costs
// one recv (or send); the response parser (http1_response_parser.h) says when an answer is
// complete and whether the connection may carry another request.
// Timers: every request has the same timeout and every connect the same connect timeout, so
// deadlines arrive in order and two deques replace a heap; entries of requests that finished
// meanwhile are skipped (generation numbers), and swept out once the deque is more than twice
// the slots in use.
// A reused connection: the server may have closed it, or timed it out with a 408 (Node.js,
// Apache), just as a request went out on it; the request is then sent once more on a fresh
// connection without spending an attempt (see the header).
// Invariants: a request in flight owns exactly one connection (Request::fd, Connection::slot);
// an idle connection is in idle_ and has slot -1; a finished request is in done_ until
// NextDone hands it out.
#include "worker/http1_transport.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <thread>
#include <utility>

#include "worker/http_header.h"

namespace sieve {
namespace {

constexpr auto kResolveLifetime = std::chrono::seconds(60);
constexpr auto kResolveRetryGap = std::chrono::seconds(1);  // after a failure
constexpr int kMaxEventsPerWait = 32;

// The request head up to the Idempotency-Key value. Headers as libcurl takes them: "Name:"
// with nothing after the colon only removes a header libcurl would add, so it is not sent.
std::string HeadPrefix(const Http1Target& target, const std::vector<std::string>& headers) {
  std::string head = "POST " + target.path + " HTTP/1.1\r\n";
  if (!HasHeader(headers, "Host")) head += "Host: " + target.host_header + "\r\n";
  if (!HasHeader(headers, "User-Agent")) head += "User-Agent: sieve-worker\r\n";
  for (const std::string& header : headers) {
    const size_t colon = header.find(':');
    const size_t value = header.find_first_not_of(" \t", colon + 1);
    if (value == std::string::npos || HeaderLineIs(header, "Content-Length")) continue;
    head.append(header, 0, colon).append(": ").append(header, value).append("\r\n");
  }
  return head + "Idempotency-Key: ";
}

// Retry-After as delta-seconds or an HTTP date (curl_getdate reads every HTTP date format).
int64_t RetryAfterSeconds(std::string_view value) {
  if (value.empty()) return 0;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return value.size() > 9 ? 999'999'999 : std::stoll(std::string(value));
  }
  const time_t date = curl_getdate(std::string(value).c_str(), nullptr);
  return date < 0 ? 0 : std::max<int64_t>(date - std::time(nullptr), 0);
}

}  // namespace

Result<std::unique_ptr<Http1Transport>> Http1Transport::Create(
    const EngineOptions& options, const std::vector<std::string>& headers, Resolver resolver) {
  Result<Http1Target> target = ParseHttp1Target(options.endpoint);
  if (!target.ok()) return target.status();
  Result<std::unique_ptr<EventPoller>> poller = EventPoller::Create();
  if (!poller.ok()) return poller.status();
  std::string prefix = HeadPrefix(*target, headers);
  std::unique_ptr<Http1Transport> transport(new Http1Transport(
      options, std::move(target).value(), std::move(prefix), std::move(poller).value(),
      std::move(resolver)));
  // A name that does not resolve yet fails requests, retryably, until it does.
  transport->last_resolve_try_ = Clock::now();
  transport->Adopt(transport->resolver_(transport->target_.host, transport->target_.port));
  return transport;
}

Http1Transport::Http1Transport(const EngineOptions& options, Http1Target target,
                               std::string head_prefix, std::unique_ptr<EventPoller> poller,
                               Resolver resolver)
    : options_(options),
      target_(std::move(target)),
      head_prefix_(std::move(head_prefix)),
      poller_(std::move(poller)),
      resolver_(std::move(resolver)) {}

Http1Transport::~Http1Transport() {
  for (size_t fd = 0; fd < connections_.size(); ++fd) {
    if (connections_[fd] != nullptr) close(static_cast<int>(fd));
  }
}

Http1Transport::Resolved Http1Transport::SystemResolve(const std::string& host,
                                                       const std::string& port) {
  Resolved resolved;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    resolved.error = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return resolved;
  }
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    sockaddr_storage address{};
    std::memcpy(&address, a->ai_addr, a->ai_addrlen);
    resolved.addresses.push_back(address);
    resolved.lengths.push_back(a->ai_addrlen);
  }
  freeaddrinfo(found);
  return resolved;
}

void Http1Transport::Adopt(Resolved resolved) {
  if (resolved.addresses.empty()) {
    resolve_error_ = std::move(resolved.error);
    return;
  }
  addresses_ = std::move(resolved.addresses);
  address_lengths_ = std::move(resolved.lengths);
  preferred_address_ = 0;
  resolved_at_ = last_resolve_try_;
}

void Http1Transport::RefreshAddresses() {
  const Clock::time_point now = Clock::now();
  if (resolving_ != nullptr) {
    std::lock_guard<std::mutex> lock(resolving_->mutex);
    if (resolving_->done) {
      Adopt(std::move(resolving_->result));
      resolving_.reset();
    }
  }
  if (resolving_ != nullptr || now - last_resolve_try_ <= kResolveRetryGap) return;
  if (addresses_.empty()) {  // no connection can exist: nothing to hold up, so wait for it
    last_resolve_try_ = now;
    return Adopt(resolver_(target_.host, target_.port));
  }
  if (now - resolved_at_ <= kResolveLifetime) return;
  last_resolve_try_ = now;
  auto job = std::make_shared<ResolveJob>();
  try {
    // Detached: the transport may go away before a slow resolver answers; the job outlives it.
    std::thread([job, resolver = resolver_, host = target_.host, port = target_.port] {
      Resolved resolved = resolver(host, port);
      std::lock_guard<std::mutex> lock(job->mutex);
      job->result = std::move(resolved);
      job->done = true;
    }).detach();
    resolving_ = std::move(job);
  } catch (const std::system_error& error) {  // no thread to be had: keep the old addresses
    resolve_error_ = std::string("cannot start a resolver thread: ") + error.what();
  }
}

Status Http1Transport::Start(int slot, std::string_view body, std::string_view idempotency_key) {
  if (static_cast<size_t>(slot) >= requests_.size()) requests_.resize(slot + 1);
  Request& request = requests_[slot];
  request.state = RequestState::kInFlight;
  ++request.generation;
  request.fd = -1;
  request.resent = false;
  request.addresses_tried = 0;
  request.start = Clock::now();
  request.head.assign(head_prefix_)
      .append(idempotency_key)
      .append("\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n\r\n");
  request.body = body;
  request.error = TransferError::kNone;
  request.error_text.clear();
  request.status = 0;
  request.retry_after_seconds = 0;
  request.response.clear();
  timeouts_.push_back(Timer{request.start + options_.timeout, slot, request.generation});
  DropStale(&timeouts_, requests_);
  if (idle_.empty()) {
    Connect(slot);
    return Status::Ok();
  }
  const int fd = idle_.back();
  idle_.pop_back();
  connections_[fd]->slot = slot;
  connections_[fd]->sent = 0;
  request.fd = fd;
  Send(fd);
  return Status::Ok();
}

void Http1Transport::Connect(int slot) {
  Request& request = requests_[slot];
  RefreshAddresses();
  if (addresses_.empty()) return Finish(slot, TransferError::kConnect, resolve_error_);
  const size_t address = (preferred_address_ + request.addresses_tried) % addresses_.size();
  ++request.addresses_tried;
  const auto* sa = reinterpret_cast<const sockaddr*>(&addresses_[address]);
  const int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {  // as libcurl: a connect error (retried), after trying the other addresses
    if (request.addresses_tried < addresses_.size()) return Connect(slot);
    return Finish(slot, TransferError::kConnect, std::string("socket: ") + strerror(errno));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (static_cast<size_t>(fd) >= connections_.size()) connections_.resize(fd + 64);
  auto connection = std::make_unique<Connection>(options_.max_response_bytes);
  connection->serial = ++connections_made_;
  connection->slot = slot;
  connection->address = address;
  connection->connecting = true;
  connection->connect_deadline = Clock::now() + options_.connect_timeout;
  connections_[fd] = std::move(connection);
  request.fd = fd;
  connect_timeouts_.push_back(
      Timer{connections_[fd]->connect_deadline, slot, request.generation});
  DropStale(&connect_timeouts_, requests_);
  if (connect(fd, sa, address_lengths_[address]) == 0) return OnConnected(fd);
  if (errno != EINPROGRESS) return Broken(fd, TransferError::kConnect, strerror(errno));
  Watch(fd, EPOLLOUT);
}

void Http1Transport::OnConnected(int fd) {
  Connection& connection = *connections_[fd];
  connection.connecting = false;
  preferred_address_ = connection.address;
  requests_[connection.slot].addresses_tried = 0;
  Send(fd);
}

void Http1Transport::Watch(int fd, uint32_t events) {
  Connection& connection = *connections_[fd];
  if (connection.events == events) return;
  const bool ok = connection.events == 0 ? poller_->Add(fd, events) : poller_->Modify(fd, events);
  if (ok) connection.events = events;
}

void Http1Transport::Send(int fd) {
  Connection& connection = *connections_[fd];
  const Request& request = requests_[connection.slot];
  const size_t total = request.head.size() + request.body.size();
  while (connection.sent < total) {
    iovec parts[2];
    int count = 0;
    if (connection.sent < request.head.size()) {
      parts[count++] = {const_cast<char*>(request.head.data()) + connection.sent,
                        request.head.size() - connection.sent};
    }
    const size_t body_sent = connection.sent > request.head.size()
                                 ? connection.sent - request.head.size() : 0;
    if (body_sent < request.body.size()) {
      parts[count++] = {const_cast<char*>(request.body.data()) + body_sent,
                        request.body.size() - body_sent};
    }
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = count;
    const ssize_t n = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Watch(fd, EPOLLIN | EPOLLOUT);
    if (n < 0) return Broken(fd, TransferError::kReset, std::string("send: ") + strerror(errno));
    connection.sent += static_cast<size_t>(n);
  }
  Watch(fd, EPOLLIN);
}

void Http1Transport::OnEvent(int fd, uint32_t events) {
  if (static_cast<size_t>(fd) >= connections_.size() || connections_[fd] == nullptr) return;
  Connection& connection = *connections_[fd];
  if (connection.connecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return Broken(fd, TransferError::kConnect, strerror(error));
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) OnConnected(fd);
    return;
  }
  // Read first: an early answer (413 while a large body is still going out) must be parsed
  // before a failing send could turn it into a reset.
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
    const uint64_t serial = connection.serial;
    Receive(fd);
    // The connection may be gone, and its fd number (and even its memory) taken by a fresh
    // connection for a resend: the serial number tells.
    if (connections_[fd] == nullptr || connections_[fd]->serial != serial) return;
  }
  if ((events & EPOLLOUT) != 0 && connection.slot >= 0) {
    const Request& request = requests_[connection.slot];
    if (connection.sent < request.head.size() + request.body.size()) Send(fd);
  }
}

void Http1Transport::Receive(int fd) {
  Connection& connection = *connections_[fd];
  const ssize_t n = recv(fd, buffer_, sizeof(buffer_), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (connection.slot < 0) return CloseConnection(fd);  // idle: closed by the server, or junk
  if (n < 0) return Broken(fd, TransferError::kReset, std::string("recv: ") + strerror(errno));
  Http1ResponseParser& parser = connection.parser;
  if (n == 0) {
    if (parser.FinishAtEof() == Http1ResponseParser::State::kComplete) {
      if (TimedOutBeforeTheRequest(fd)) return Reconnect(fd);
      return Release(fd, false);
    }
    if (!parser.started()) {
      return Broken(fd, TransferError::kEmptyReply, "closed without an answer");
    }
    return Finish(connection.slot, TransferError::kTruncated,
                  "the connection closed in the middle of the answer");
  }
  size_t used = 0;
  switch (parser.Feed(std::string_view(buffer_, static_cast<size_t>(n)), &used)) {
    case Http1ResponseParser::State::kIncomplete:
      return;
    case Http1ResponseParser::State::kComplete: {
      if (TimedOutBeforeTheRequest(fd)) return Reconnect(fd);
      const Request& request = requests_[connection.slot];
      const bool all_sent = connection.sent == request.head.size() + request.body.size();
      return Release(fd, parser.keep_alive() && all_sent && used == static_cast<size_t>(n));
    }
    case Http1ResponseParser::State::kMalformed:
      return Finish(connection.slot, TransferError::kOther,
                    "malformed HTTP response: " + parser.error());
    case Http1ResponseParser::State::kTooLarge:
      return Finish(connection.slot, TransferError::kTooLarge, "");
  }
}

void Http1Transport::Broken(int fd, TransferError error, std::string text) {
  Connection& connection = *connections_[fd];
  const int slot = connection.slot;
  Request& request = requests_[slot];
  const bool dead_reused = connection.reused && !connection.parser.started() && !request.resent;
  const bool other_address =
      connection.connecting &&
      (error == TransferError::kConnect || error == TransferError::kConnectTimeout) &&
      request.addresses_tried < addresses_.size();
  if (!dead_reused && !other_address) return Finish(slot, error, std::move(text));
  request.resent = request.resent || dead_reused;
  Reconnect(fd);
}

bool Http1Transport::TimedOutBeforeTheRequest(int fd) {
  const Connection& connection = *connections_[fd];
  Request& request = requests_[connection.slot];
  if (connection.parser.status() != 408 || !connection.reused || request.resent) return false;
  request.resent = true;
  return true;
}

void Http1Transport::Reconnect(int fd) {
  Connection& connection = *connections_[fd];
  const int slot = connection.slot;
  requests_[slot].fd = -1;
  connection.slot = -1;
  CloseConnection(fd);
  Connect(slot);
}

void Http1Transport::Finish(int slot, TransferError error, std::string text) {
  Request& request = requests_[slot];
  request.state = RequestState::kDone;
  request.error = error;
  request.error_text = std::move(text);
  request.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      Clock::now() - request.start);
  done_.emplace_back(slot, request.generation);
  if (request.fd >= 0) {
    Connection& connection = *connections_[request.fd];
    connection.slot = -1;
    CloseConnection(request.fd);  // an unfinished exchange: the connection cannot carry more
    request.fd = -1;
  }
}

void Http1Transport::Release(int fd, bool reusable) {
  Connection& connection = *connections_[fd];
  const int slot = connection.slot;
  Request& request = requests_[slot];
  request.status = connection.parser.status();
  request.retry_after_seconds = RetryAfterSeconds(connection.parser.retry_after());
  request.ratelimit_remaining = ParseRateLimitRemaining(connection.parser.ratelimit_remaining());
  request.ratelimit_reset_ms = ParseRateLimitReset(connection.parser.ratelimit_reset());
  request.response.clear();
  connection.parser.SwapBody(request.response);
  request.fd = -1;
  connection.slot = -1;
  Finish(slot, TransferError::kNone, "");
  if (!reusable) return CloseConnection(fd);
  connection.parser.Reset();
  connection.reused = true;
  idle_.push_back(fd);
}

void Http1Transport::CloseConnection(int fd) {
  close(fd);  // leaves the epoll set by itself
  connections_[fd].reset();
  std::erase(idle_, fd);
}

void Http1Transport::Abort(int slot) {
  Request& request = requests_[slot];
  if (request.state == RequestState::kInFlight && request.fd >= 0) {
    connections_[request.fd]->slot = -1;
    CloseConnection(request.fd);
  }
  request.fd = -1;
  request.state = RequestState::kIdle;
}

bool Http1Transport::IsLive(const Timer& timer, const std::vector<Request>& requests) {
  const Request& request = requests[timer.slot];
  return request.state == RequestState::kInFlight && request.generation == timer.generation;
}

void Http1Transport::PopStale(std::deque<Timer>* timers, const std::vector<Request>& requests) {
  while (!timers->empty() && !IsLive(timers->front(), requests)) timers->pop_front();
}

void Http1Transport::DropStale(std::deque<Timer>* timers, const std::vector<Request>& requests) {
  // Amortised O(1) per entry: a sweep runs when the deque has doubled past the slots in use,
  // and leaves one entry per request in flight in timeouts_, one per connect attempt of a
  // request in flight in connect_timeouts_.
  if (timers->size() < 2 * requests.size() + 64) return;
  std::erase_if(*timers, [&requests](const Timer& timer) { return !IsLive(timer, requests); });
}

void Http1Transport::RunDueTimers() {
  const Clock::time_point now = Clock::now();
  for (PopStale(&timeouts_, requests_); !timeouts_.empty() && timeouts_.front().due <= now;
       PopStale(&timeouts_, requests_)) {
    Finish(timeouts_.front().slot, TransferError::kTimeout, "");
  }
  for (PopStale(&connect_timeouts_, requests_);
       !connect_timeouts_.empty() && connect_timeouts_.front().due <= now;
       PopStale(&connect_timeouts_, requests_)) {
    const int slot = connect_timeouts_.front().slot;
    connect_timeouts_.pop_front();
    const int fd = requests_[slot].fd;
    if (fd >= 0 && connections_[fd]->connecting && connections_[fd]->connect_deadline <= now) {
      Broken(fd, TransferError::kConnectTimeout, "");  // the next address, if any
    }
  }
}

int Http1Transport::TimerMillis() const {
  if (timeouts_.empty() && connect_timeouts_.empty()) return -1;
  Clock::time_point due = Clock::time_point::max();
  if (!timeouts_.empty()) due = timeouts_.front().due;
  if (!connect_timeouts_.empty()) due = std::min(due, connect_timeouts_.front().due);
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

void Http1Transport::Wait(int wait_ms) {
  epoll_event events[kMaxEventsPerWait];
  const int n = poller_->Wait(events, kMaxEventsPerWait, wait_ms);
  for (int i = 0; i < n; ++i) OnEvent(events[i].data.fd, events[i].events);
}

int Http1Transport::NextDone() {
  while (!done_.empty()) {
    const auto [slot, generation] = done_.front();
    done_.pop_front();
    const Request& request = requests_[slot];
    if (request.state == RequestState::kDone && request.generation == generation) return slot;
  }
  return -1;
}

TransferReport Http1Transport::Report(int slot) const {
  const Request& request = requests_[slot];
  TransferReport report;
  report.error = request.error;
  report.error_text = request.error_text;
  report.http_status = request.status;
  report.retry_after_seconds = request.retry_after_seconds;
  report.ratelimit_remaining = request.ratelimit_remaining;
  report.ratelimit_reset_ms = request.ratelimit_reset_ms;
  report.body = request.response;
  report.duration = request.duration;
  return report;
}

}  // namespace sieve
