// PooledTransport: the transport of a job whose endpoint is a pool of replicas
// (EngineOptions::endpoints): one ordinary transport per endpoint (native HTTP/1.1 or libcurl,
// chosen per endpoint as CreateTransport would), behind the one HttpTransport the engine
// drives. The engine chooses the endpoint of each request (worker/endpoint_pool.h) and starts
// it with StartOn; slots are the engine's, and a slot's reports and aborts go to the endpoint
// it was started on.
//
// DESIGN: each endpoint's transport keeps its own epoll set; this transport watches those sets
// from one more (an epoll set is readable while it holds ready events), so Wait sleeps once
// for all endpoints and then lets only the endpoints with activity act (Wait(0)). Timers are
// the earliest of all endpoints'. Cost per wake-up: one epoll_wait plus one per endpoint with
// activity; a job of one endpoint never pays it (CreateTransport gives it the plain transport).
//
// Thread-safety: see http_transport.h.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "worker/event_poller.h"
#include "worker/http_transport.h"

namespace sieve {

class PooledTransport final : public HttpTransport {
 public:
  // One transport per URL of options.endpoints (each given `headers`). InvalidArgument or
  // Internal as CreateTransport, naming the endpoint. `options` need not outlive it.
  static Result<std::unique_ptr<PooledTransport>> Create(const EngineOptions& options,
                                                         const std::vector<std::string>& headers);
  ~PooledTransport() override = default;

  // Start on endpoint 0.
  Status Start(int slot, std::string_view body, std::string_view idempotency_key) override {
    return StartOn(0, slot, body, idempotency_key);
  }
  Status StartOn(int endpoint, int slot, std::string_view body,
                 std::string_view idempotency_key) override;
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
  explicit PooledTransport(std::unique_ptr<EventPoller> poller) : poller_(std::move(poller)) {}

  std::deque<EngineOptions> options_;  // per endpoint; the transports borrow them
  std::vector<std::unique_ptr<HttpTransport>> endpoints_;
  std::unique_ptr<EventPoller> poller_;  // watches every endpoint's PollFd
  std::vector<int> fd_endpoint_;         // by an endpoint's PollFd: its index, else -1
  std::vector<int> slot_endpoint_;       // by slot: the endpoint it was started on
  size_t next_done_ = 0;                 // NextDone asks the endpoints round robin
};

}  // namespace sieve
