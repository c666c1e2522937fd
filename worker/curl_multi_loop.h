// CurlMultiLoop: a libcurl multi handle driven by epoll through curl_multi_socket_action.
//
// Why not curl_multi_perform + curl_multi_poll: those visit every transfer and every socket on
// each wake-up, O(in flight) per event; with hundreds of requests in flight that dominates the
// client's CPU. Here curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when its
// next timer is due (CURLMOPT_TIMERFUNCTION); an event costs O(1) to dispatch.
//
// Thread-safety: not thread-safe; one thread drives it. Wakeup() may be called from any thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <vector>

#include "common/status.h"
#include "worker/event_poller.h"

namespace sieve {

class CurlMultiLoop {
 public:
  // A multi handle that multiplexes HTTP/2 where offered and keeps at most `max_connections`
  // connections to the endpoint (and as many in its cache). Internal when curl or the kernel
  // refuses.
  static Result<std::unique_ptr<CurlMultiLoop>> Create(long max_connections);
  // REQUIRES: every easy handle has been removed.
  ~CurlMultiLoop();
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  Status Add(CURL* easy);
  void Remove(CURL* easy);

  // Lets curl act on its timers when one is due (starts new transfers, fires timeouts).
  void RunDueTimers();
  // Milliseconds until curl's next timer (0 when due), or -1 when none is set.
  int TimerMillis() const;
  // Waits up to `wait_ms` for socket activity or a Wakeup(), and lets curl act on the sockets
  // that are ready. Cost: O(ready sockets).
  void Wait(int wait_ms);
  // The next finished transfer, or nullptr. The message is valid until the handle is removed.
  CURLMsg* NextDone();

  // Makes the current or next Wait return at once. Thread-safe.
  void Wakeup() { poller_->Wakeup(); }
  // True (once) when Wakeup() was called since the last call.
  bool TakeWakeup() { return poller_->TakeWakeup(); }
  int PollFd() const { return poller_->fd(); }

 private:
  explicit CurlMultiLoop(std::unique_ptr<EventPoller> poller) : poller_(std::move(poller)) {}
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  void SocketAction(curl_socket_t fd, int events);
  void Watch(curl_socket_t fd, uint32_t events, bool known_to_curl);

  // What the epoll set holds for each fd (indexed by fd). A socket curl stops watching stays
  // in the set until it fires or curl wants it again: an idle keep-alive connection costs no
  // epoll_ctl calls between requests.
  struct Watched {
    uint32_t events = 0;   // registered with epoll; 0 = not registered
    bool wanted = false;   // curl wants events for it now
  };
  std::vector<Watched> watched_;

  std::unique_ptr<EventPoller> poller_;  // outlives multi_: its cleanup may call OnSocket
  CURLM* multi_ = nullptr;
  bool timer_set_ = false;
  std::chrono::steady_clock::time_point timer_due_;
};

}  // namespace sieve
