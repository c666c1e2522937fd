#include "worker/pooled_transport.h"

#include "common/redact.h"

namespace sieve {
namespace {
constexpr int kMaxEventsPerWait = 8;
}  // namespace

Result<std::unique_ptr<PooledTransport>> PooledTransport::Create(
    const EngineOptions& options, const std::vector<std::string>& headers) {
  Result<std::unique_ptr<EventPoller>> poller = EventPoller::Create();
  if (!poller.ok()) return poller.status();
  std::unique_ptr<PooledTransport> pooled(new PooledTransport(std::move(poller).value()));
  for (const std::string& url : options.endpoints) {
    EngineOptions& one = pooled->options_.emplace_back(options);
    one.endpoint = url;
    one.endpoints.clear();
    Result<std::unique_ptr<HttpTransport>> transport = CreateSingleTransport(one, headers);
    if (!transport.ok()) {
      const std::string why = "endpoint " + RedactUrl(url) + ": " + transport.status().message();
      return transport.status().code() == Status::Code::kInvalidArgument
                 ? Status::InvalidArgument(why)
                 : Status::Internal(why);
    }
    const int fd = (*transport)->PollFd();
    if (!pooled->poller_->Add(fd, EPOLLIN)) {
      return Status::Internal("cannot watch the endpoint's event loop");
    }
    if (static_cast<size_t>(fd) >= pooled->fd_endpoint_.size()) {
      pooled->fd_endpoint_.resize(fd + 1, -1);
    }
    pooled->fd_endpoint_[fd] = static_cast<int>(pooled->endpoints_.size());
    pooled->endpoints_.push_back(std::move(transport).value());
  }
  return pooled;
}

Status PooledTransport::StartOn(int endpoint, int slot, std::string_view body,
                                std::string_view idempotency_key) {
  if (endpoint < 0 || static_cast<size_t>(endpoint) >= endpoints_.size()) {
    return Status::Internal("no endpoint " + std::to_string(endpoint) + " in the pool");
  }
  if (static_cast<size_t>(slot) >= slot_endpoint_.size()) slot_endpoint_.resize(slot + 1, 0);
  slot_endpoint_[slot] = endpoint;
  return endpoints_[endpoint]->Start(slot, body, idempotency_key);
}

void PooledTransport::Abort(int slot) { endpoints_[slot_endpoint_[slot]]->Abort(slot); }

void PooledTransport::RunDueTimers() {
  for (auto& endpoint : endpoints_) endpoint->RunDueTimers();
}

int PooledTransport::TimerMillis() const {
  int earliest = -1;
  for (const auto& endpoint : endpoints_) {
    const int t = endpoint->TimerMillis();
    if (t >= 0 && (earliest < 0 || t < earliest)) earliest = t;
  }
  return earliest;
}

void PooledTransport::Wait(int wait_ms) {
  epoll_event events[kMaxEventsPerWait];
  const int n = poller_->Wait(events, kMaxEventsPerWait, wait_ms);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd >= 0 && static_cast<size_t>(fd) < fd_endpoint_.size() && fd_endpoint_[fd] >= 0) {
      endpoints_[fd_endpoint_[fd]]->Wait(0);
    }
  }
}

int PooledTransport::NextDone() {
  const size_t n = endpoints_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t e = (next_done_ + i) % n;
    const int slot = endpoints_[e]->NextDone();
    if (slot >= 0) {
      next_done_ = (e + 1) % n;
      return slot;
    }
  }
  return -1;
}

TransferReport PooledTransport::Report(int slot) const {
  return endpoints_[slot_endpoint_[slot]]->Report(slot);
}

}  // namespace sieve
