// ServerMetrics: the classifier's Prometheus metrics, served as text from its own HTTP server.
//
// Families (all prefixed sieve_classifier_):
//   requests_total{code}                       counter, every answered request by HTTP status
//   request_duration_seconds{handler}          histogram, /classify, /classify/batch and
//                                              /v1/chat/completions, from
//                                              handler entry to answer (injected delays included)
//   requests_in_flight                         gauge, classify requests being handled now
//   texts_classified_total                     counter, texts labelled (a batch counts each)
//   faults_injected_total{fault}               counter, by fault kind (fail, overload, hang,
//                                              garbage, max_inflight)
//
// Cost: the per-request calls (CountResponse, ObserveDuration, in_flight) use metrics resolved
// once: a response code's counter is looked up in its family the first time the code is seen and
// cached in an atomic slot; the three handlers' histograms are created up front. No per-request
// label hashing or family lock.
//
// Thread-safety: every method is thread-safe (prometheus-cpp metrics are atomic; family lookups
// are internally locked; the code cache is atomic pointers).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace sieve::classifier {

class ServerMetrics {
 public:
  ServerMetrics();

  void CountResponse(int status);
  void ObserveDuration(std::string_view handler, double seconds);
  void CountTexts(std::size_t n) { texts_->Increment(static_cast<double>(n)); }
  void CountFault(std::string_view fault);
  prometheus::Gauge& in_flight() { return *in_flight_; }

  // The Prometheus text exposition (version 0.0.4) of every family.
  std::string Serialize() const;
  // The registry holding every family, for a MetricsServer on its own port (--metrics).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  static constexpr int kMaxCode = 600;  // codes outside [0, kMaxCode) are not cached

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  std::array<std::atomic<prometheus::Counter*>, kMaxCode> by_code_{};
  prometheus::Histogram* classify_duration_;
  prometheus::Histogram* batch_duration_;
  prometheus::Histogram* chat_duration_;
  prometheus::Family<prometheus::Histogram>* durations_;
  prometheus::Family<prometheus::Counter>* faults_;
  prometheus::Gauge* in_flight_;
  prometheus::Counter* texts_;
};

}  // namespace sieve::classifier
