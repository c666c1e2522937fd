// HttpTransport: how the engine's requests travel. The engine (http_engine.h) decides what to
// send, when, and what an answer means; a transport carries POSTs to the one endpoint and says
// how each ended. Two implementations:
//   - CurlTransport (curl_transport.h): libcurl's multi interface; every endpoint, https://,
//     HTTP/2, proxies from the environment;
//   - Http1Transport (http1_transport.h): HTTP/1.1 over plain TCP written for the hot path,
//     about half the client CPU per request of libcurl (docs/benchmarks.md).
// CreateTransport picks one from EngineOptions::http_client.
//
// Slots: the engine numbers its requests in flight 0..N-1 and reuses a slot once its request
// is reported done (NextDone) or aborted. The bytes given to Start must stay valid until then.
//
// Thread-safety: not thread-safe; one thread drives a transport. Wakeup() may be called from
// any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "worker/attempt_outcome.h"
#include "worker/engine_options.h"

namespace sieve {

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Starts a POST of `body` with an Idempotency-Key header of `idempotency_key` on `slot`. Internal only when out of resources (the request is not started).
  virtual Status Start(int slot, std::string_view body, std::string_view idempotency_key) = 0;
  // Start, to endpoint number `endpoint` of the job's pool (EngineOptions::endpoints); a
  // transport of one endpoint has only number 0 and ignores it.
  virtual Status StartOn(int endpoint, int slot, std::string_view body,
                         std::string_view idempotency_key) {
    (void)endpoint;
    return Start(slot, body, idempotency_key);
  }
  // Drops the request on `slot`: no report will come for it.
  virtual void Abort(int slot) = 0;

  // Acts on due timers: connects, timeouts (and for curl, transfers it starts from timers).
  virtual void RunDueTimers() = 0;
  // Milliseconds until the next timer (0 when due), or -1 when none is set.
  virtual int TimerMillis() const = 0;
  // Waits up to `wait_ms` for socket activity or a Wakeup() and acts on what is ready.
  virtual void Wait(int wait_ms) = 0;
  // A slot whose request has finished, or -1. Its Report is valid until the slot starts again.
  virtual int NextDone() = 0;
  virtual TransferReport Report(int slot) const = 0;

  // Makes the current or next Wait return at once. Thread-safe.
  virtual void Wakeup() = 0;
  // True (once) when Wakeup() was called since the last call.
  virtual bool TakeWakeup() = 0;
  // The descriptor Wait waits on (an epoll set): readable when Wait would have work.
  virtual int PollFd() const = 0;
};

// The transport `options` ask for; for a pool of endpoints (EngineOptions::endpoints holds
// two or more) a PooledTransport (pooled_transport.h) of one such transport per endpoint.
// The transport `options` ask for (EngineOptions::http_client; kAuto takes the native one for
// plain http:// endpoints reached without a proxy). `headers` are sent with every request
// ("Name: value"; "Name:" drops a header the transport would add). InvalidArgument when the
// native transport is asked for an endpoint it cannot reach, Internal when the kernel or
// libcurl refuses.
Result<std::unique_ptr<HttpTransport>> CreateTransport(const EngineOptions& options,
                                                       const std::vector<std::string>& headers);
// The transport for `options.endpoint` alone (EngineOptions::endpoints is not looked at).
Result<std::unique_ptr<HttpTransport>> CreateSingleTransport(
    const EngineOptions& options, const std::vector<std::string>& headers);

}  // namespace sieve
