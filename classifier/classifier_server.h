// ClassifierServer: the reference inference server (sieve-classifier), usable in-process.
//
// HTTP API (see docs/classifier.md):
//   POST /classify        one JSON object  -> {"label": ..., "score": ...}
//   POST /classify/batch  JSON array       -> array of answers, in order
//   GET  /healthz  -> {"status": "ok"}     GET /labels -> {"labels": [...]}
//   GET  /metrics  -> Prometheus text (see server_metrics.h)
//   POST /v1/chat/completions  OpenAI chat shape -> the label as choices[0].message.content, with
//                              usage (see chat_codec.h; --answer-style)
//   GET  /v1/models            the one model, OpenAI list shape
// Bad requests get 4xx with {"detail": ...}; unknown paths 404. Fault injection (off by
// default) is described in fault_injector.h; --max-inflight answers 503 beyond the limit.
//
// Usage:
//   auto server = ClassifierServer::Start(options);   // bound and serving on return
//   if (!server.ok()) ...;  int port = (*server)->port();
//   (*server)->Stop();                                // or let the destructor do it
//
// Thread-safety: port(), host(), labels() and Stop() may be called from any thread; Stop() is
// idempotent and returns once every HTTP thread has exited. A request hanging under
// --hang-rate is woken by Stop() at once, so shutdown never waits for --hang-ms.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "classifier/classifier_options.h"
#include "common/status.h"

namespace prometheus {
class Registry;
}

namespace sieve::classifier {

class ClassifierServer {
 public:
  // Loads the model, binds host:port and starts serving on its own threads.
  // Errors: InvalidArgument (options), NotFound / Corrupt / VersionMismatch (model),
  // Unavailable (the address cannot be bound).
  static Result<std::unique_ptr<ClassifierServer>> Start(ClassifierOptions options);

  ~ClassifierServer();
  ClassifierServer(const ClassifierServer&) = delete;
  ClassifierServer& operator=(const ClassifierServer&) = delete;

  // The bound port (the kernel's pick when options.port was 0).
  int port() const;
  const std::string& host() const;
  const std::vector<std::string>& labels() const;
  // The registry GET /metrics serves, so the metrics can also be served on a separate
  // address (sieve-classifier --metrics). Shared: it outlives the server if kept.
  std::shared_ptr<prometheus::Registry> metrics_registry() const;

  // Stops accepting, wakes hanging requests, and joins the HTTP threads.
  void Stop();

 private:
  class Impl;
  explicit ClassifierServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace sieve::classifier
