// CurlTransport: the engine's requests on libcurl's multi interface (curl_multi_loop.h), one
// reusable easy handle (curl_transfer.h) per slot: keep-alive connection reuse, HTTP/2
// multiplexing over TLS (or h2c when asked), TLS with the system's or --ca-file's CAs,
// proxies from the environment.
//
// Thread-safety: see http_transport.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "worker/curl_multi_loop.h"
#include "worker/curl_transfer.h"
#include "worker/http_transport.h"

namespace sieve {

class CurlTransport final : public HttpTransport {
 public:
  // Internal when libcurl or the kernel refuses. `options` must outlive the transport.
  static Result<std::unique_ptr<CurlTransport>> Create(const EngineOptions& options,
                                                       std::vector<std::string> headers);
  ~CurlTransport() override;

  Status Start(int slot, std::string_view body, std::string_view idempotency_key) override;
  void Abort(int slot) override;
  void RunDueTimers() override { loop_->RunDueTimers(); }
  int TimerMillis() const override { return loop_->TimerMillis(); }
  void Wait(int wait_ms) override { loop_->Wait(wait_ms); }
  int NextDone() override;
  TransferReport Report(int slot) const override { return transfers_[slot]->Report(); }
  void Wakeup() override { loop_->Wakeup(); }
  bool TakeWakeup() override { return loop_->TakeWakeup(); }
  int PollFd() const override { return loop_->PollFd(); }

 private:
  CurlTransport(const EngineOptions& options, std::vector<std::string> headers,
                std::unique_ptr<CurlMultiLoop> loop)
      : options_(options), headers_(std::move(headers)), loop_(std::move(loop)) {}

  const EngineOptions& options_;
  const std::vector<std::string> headers_;
  std::unique_ptr<CurlMultiLoop> loop_;
  std::vector<std::unique_ptr<Transfer>> transfers_;  // by slot; made on first use
};

}  // namespace sieve
