#include "worker/event_poller.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sieve {

Result<std::unique_ptr<EventPoller>> EventPoller::Create() {
  std::unique_ptr<EventPoller> poller(new EventPoller());
  poller->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  poller->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (poller->epoll_fd_ < 0 || poller->wake_fd_ < 0 ||
      !poller->Add(poller->wake_fd_, EPOLLIN)) {
    return Status::Internal(std::string("cannot set up the HTTP event loop: ") +
                            std::strerror(errno));
  }
  return poller;
}

EventPoller::~EventPoller() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool EventPoller::Add(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventPoller::Modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventPoller::Remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

int EventPoller::Wait(epoll_event* events, int max, int wait_ms) {
  const int n = epoll_wait(epoll_fd_, events, max, wait_ms);
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.fd != wake_fd_) {
      events[kept++] = events[i];
      continue;
    }
    uint64_t count;
    while (read(wake_fd_, &count, sizeof(count)) > 0) {
    }
  }
  return kept;
}

void EventPoller::Wakeup() {
  wakeup_.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof(one));
}

}  // namespace sieve
