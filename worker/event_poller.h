// EventPoller: an epoll set plus a wake-up eventfd, the waiting half of the engine's event
// loops (the libcurl one, curl_multi_loop.h, and the native HTTP/1.1 one, http1_transport.h).
//
// Sockets are registered with data.fd = the socket. Wait() never reports the wake-up fd: a
// Wakeup() from any thread only cuts the current or next Wait short and sets a flag that
// TakeWakeup() reads (and clears) once.
//
// Thread-safety: not thread-safe; one thread drives it. Wakeup() may be called from any thread.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/status.h"

namespace sieve {

class EventPoller {
 public:
  // Internal when the kernel refuses an epoll set or an eventfd.
  static Result<std::unique_ptr<EventPoller>> Create();
  ~EventPoller();
  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  // Registers `fd` for `events`, or changes what it is registered for. False when the kernel
  // refuses (errno tells why).
  bool Add(int fd, uint32_t events);
  bool Modify(int fd, uint32_t events);
  // Leaves `fd` out of the set. A closed fd leaves it by itself.
  void Remove(int fd);

  // Waits up to `wait_ms` (-1: without limit) for socket events or a Wakeup(); fills at most
  // `max` events (wake-ups excluded) and returns how many.
  int Wait(epoll_event* events, int max, int wait_ms);

  // Makes the current or next Wait return at once. Thread-safe.
  void Wakeup();
  // True (once) when Wakeup() was called since the last call.
  bool TakeWakeup() { return wakeup_.exchange(false); }
  // The epoll set's descriptor: readable when an event is ready, so a poller can be watched
  // from another poller (worker/pooled_transport.h nests one per endpoint).
  int fd() const { return epoll_fd_; }

 private:
  EventPoller() = default;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> wakeup_{false};
};

}  // namespace sieve
