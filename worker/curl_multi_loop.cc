// DESIGN: curl owns the sockets and tells us, through OnSocket, which ones to watch for what;
// we mirror that into an epoll set (data.fd = the socket), lazily: a socket curl no longer
// wants stays registered (no syscall) and is removed only if it fires while unwanted; one that
// curl wants again with the same events costs nothing. Because a closed fd leaves the epoll set
// by itself and its number may be reused, a socket curl announces anew (socket_data == null)
// is always re-registered (MOD, or ADD when the kernel no longer has it).
// curl tells us through OnTimer when it next needs to run without socket activity (new
// transfers, timeouts); RunDueTimers calls curl_multi_socket_action(CURL_SOCKET_TIMEOUT) once
// it is due. Wait blocks in epoll_wait and calls curl_multi_socket_action for each ready
// socket. Callbacks only record state: curl is never re-entered from them.
#include "worker/curl_multi_loop.h"

#include <cerrno>
#include <cstdint>
#include <string>

namespace sieve {
namespace {
constexpr int kMaxEventsPerWait = 8;
}  // namespace

Result<std::unique_ptr<CurlMultiLoop>> CurlMultiLoop::Create(long max_connections) {
  Result<std::unique_ptr<EventPoller>> poller = EventPoller::Create();
  if (!poller.ok()) return poller.status();
  std::unique_ptr<CurlMultiLoop> loop(new CurlMultiLoop(std::move(poller).value()));
  loop->multi_ = curl_multi_init();
  if (loop->multi_ == nullptr) return Status::Internal("curl_multi_init failed");
  CURLM* m = loop->multi_;
  CURLMcode rc = curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, max_connections);
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlMultiLoop::OnSocket);
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_SOCKETDATA, loop.get());
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlMultiLoop::OnTimer);
  if (rc == CURLM_OK) rc = curl_multi_setopt(m, CURLMOPT_TIMERDATA, loop.get());
  if (rc != CURLM_OK) {
    return Status::Internal(std::string("curl_multi_setopt: ") + curl_multi_strerror(rc));
  }
  return loop;
}

CurlMultiLoop::~CurlMultiLoop() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);  // may still call OnSocket: poller_ stays
}

Status CurlMultiLoop::Add(CURL* easy) {
  const CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    return Status::Internal(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc));
  }
  return Status::Ok();
}

void CurlMultiLoop::Remove(CURL* easy) { curl_multi_remove_handle(multi_, easy); }

int CurlMultiLoop::OnSocket(CURL*, curl_socket_t fd, int what, void* self, void* socket_data) {
  auto* loop = static_cast<CurlMultiLoop*>(self);
  if (fd < 0) return 0;
  if (static_cast<size_t>(fd) >= loop->watched_.size()) loop->watched_.resize(fd + 64);
  if (what == CURL_POLL_REMOVE) {
    loop->watched_[fd].wanted = false;
    return 0;
  }
  const uint32_t events =
      ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  const bool known = socket_data != nullptr;
  if (!known) curl_multi_assign(loop->multi_, fd, loop);
  loop->Watch(fd, events, known);
  return 0;
}

void CurlMultiLoop::Watch(curl_socket_t fd, uint32_t events, bool known_to_curl) {
  Watched& w = watched_[fd];
  w.wanted = true;
  if (known_to_curl && w.events == events) return;
  if (!poller_->Modify(fd, events) && errno == ENOENT) poller_->Add(fd, events);
  w.events = events;
}

int CurlMultiLoop::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* loop = static_cast<CurlMultiLoop*>(self);
  loop->timer_set_ = timeout_ms >= 0;
  loop->timer_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

void CurlMultiLoop::SocketAction(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
}

void CurlMultiLoop::RunDueTimers() {
  if (timer_set_ && std::chrono::steady_clock::now() >= timer_due_) {
    timer_set_ = false;  // OnTimer sets it again if curl wants another
    SocketAction(CURL_SOCKET_TIMEOUT, 0);
  }
}

int CurlMultiLoop::TimerMillis() const {
  if (!timer_set_) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      timer_due_ - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

void CurlMultiLoop::Wait(int wait_ms) {
  // A few events at a time: the engine refills finished slots between batches, so a large
  // batch would leave them idle while the rest of it is processed.
  epoll_event events[kMaxEventsPerWait];
  const int n = poller_->Wait(events, kMaxEventsPerWait, wait_ms);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (!watched_[fd].wanted) {  // an idle connection curl does not watch: stop reporting it
      poller_->Remove(fd);
      watched_[fd].events = 0;
      continue;
    }
    const uint32_t e = events[i].events;
    SocketAction(fd, ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                         ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                         ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0));
  }
}

CURLMsg* CurlMultiLoop::NextDone() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg == CURLMSG_DONE) return msg;
  }
  return nullptr;
}

}  // namespace sieve
