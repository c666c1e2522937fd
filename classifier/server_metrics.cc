#include "classifier/server_metrics.h"

#include "common/metrics_server.h"

namespace sieve::classifier {
namespace {

// From 0.5 ms to 60 s: covers a bare model call and the injected latency / hang range.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

}  // namespace

ServerMetrics::ServerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("sieve_classifier_requests_total")
                   .Help("HTTP requests answered, by status code")
                   .Register(*registry_);
  durations_ = &prometheus::BuildHistogram()
                    .Name("sieve_classifier_request_duration_seconds")
                    .Help("Time to answer a classify request, in seconds")
                    .Register(*registry_);
  faults_ = &prometheus::BuildCounter()
                 .Name("sieve_classifier_faults_injected_total")
                 .Help("Faults injected by the --*-rate and --max-inflight flags, by kind")
                 .Register(*registry_);
  in_flight_ = &prometheus::BuildGauge()
                    .Name("sieve_classifier_requests_in_flight")
                    .Help("Classify requests being handled now")
                    .Register(*registry_)
                    .Add({});
  classify_duration_ = &durations_->Add({{"handler", "/classify"}}, DurationBuckets());
  batch_duration_ = &durations_->Add({{"handler", "/classify/batch"}}, DurationBuckets());
  chat_duration_ = &durations_->Add({{"handler", "/v1/chat/completions"}}, DurationBuckets());
  texts_ = &prometheus::BuildCounter()
                .Name("sieve_classifier_texts_classified_total")
                .Help("Texts labelled by the model (each batch element counts)")
                .Register(*registry_)
                .Add({});
}

void ServerMetrics::CountResponse(int status) {
  if (status < 0 || status >= kMaxCode) {
    requests_->Add({{"code", std::to_string(status)}}).Increment();
    return;
  }
  std::atomic<prometheus::Counter*>& slot = by_code_[static_cast<size_t>(status)];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same series for the same labels, so racing threads agree.
    counter = &requests_->Add({{"code", std::to_string(status)}});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void ServerMetrics::ObserveDuration(std::string_view handler, double seconds) {
  if (handler == "/classify") {
    classify_duration_->Observe(seconds);
  } else if (handler == "/classify/batch") {
    batch_duration_->Observe(seconds);
  } else if (handler == "/v1/chat/completions") {
    chat_duration_->Observe(seconds);
  } else {
    durations_->Add({{"handler", std::string(handler)}}, DurationBuckets()).Observe(seconds);
  }
}

void ServerMetrics::CountFault(std::string_view fault) {
  faults_->Add({{"fault", std::string(fault)}}).Increment();
}

std::string ServerMetrics::Serialize() const { return SerializeMetrics(*registry_); }

}  // namespace sieve::classifier
