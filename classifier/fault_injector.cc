#include "classifier/fault_injector.h"

#include <cmath>
#include <string>

namespace sieve::classifier {

Status FaultOptions::Validate() const {
  const std::pair<const char*, double> rates[] = {{"fail-rate", fail_rate},
                                                  {"overload-rate", overload_rate},
                                                  {"hang-rate", hang_rate},
                                                  {"garbage-rate", garbage_rate}};
  double sum = 0;
  for (const auto& [name, rate] : rates) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      return Status::InvalidArgument(std::string("--") + name + " must be between 0 and 1");
    }
    sum += rate;
  }
  if (sum > 1.0 + 1e-9) {
    return Status::InvalidArgument("the fault rates add up to more than 1");
  }
  return Status::Ok();
}

FaultInjector::FaultInjector(const FaultOptions& options) : options_(options), rng_(options.seed) {}

FaultDecision FaultInjector::Decide() {
  FaultDecision decision;
  std::uint64_t jitter = 0;
  double u = 0;
  bool failing_first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (options_.fail_first_ms > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (!first_request_) first_request_ = now;
      failing_first = now - *first_request_ < std::chrono::milliseconds(options_.fail_first_ms);
    }
    if (options_.jitter_ms > 0) jitter = rng_() % (std::uint64_t{options_.jitter_ms} + 1);
    u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // uniform in [0, 1), 53 bits
  }
  decision.delay = std::chrono::milliseconds(options_.latency_ms + jitter);
  if (failing_first) {
    decision.fault = Fault::kFail;
    return decision;
  }
  const std::pair<Fault, double> ranges[] = {{Fault::kFail, options_.fail_rate},
                                             {Fault::kOverload, options_.overload_rate},
                                             {Fault::kHang, options_.hang_rate},
                                             {Fault::kGarbage, options_.garbage_rate}};
  double upper = 0;
  for (const auto& [fault, rate] : ranges) {
    upper += rate;
    if (u < upper) {
      decision.fault = fault;
      break;
    }
  }
  return decision;
}

}  // namespace sieve::classifier
