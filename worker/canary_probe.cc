#include "worker/canary_probe.h"

namespace sieve {

FailureSignature FailureSignature::Http(int status) {
  FailureSignature s;
  s.http_status = status;
  const bool transient = status == 408 || status == 429 || status >= 500;
  s.kind = transient                           ? Kind::kTransient
           : status >= 400 && status < 500     ? Kind::kHttp
                                               : Kind::kOther;
  return s;
}

size_t CanaryProbe::SendLimit() const {
  if (verdict_ == Verdict::kPassed || verdict_ == Verdict::kInconclusive) return rows_;
  if (verdict_ == Verdict::kFailed) return 0;
  return stage2_ ? probe_rows() : (rows_ > 0 ? 1 : 0);
}

void CanaryProbe::OnLabel() {
  if (verdict_ == Verdict::kPending) verdict_ = Verdict::kPassed;
}

void CanaryProbe::OnFailure(const FailureSignature& signature, const std::string& reason) {
  if (verdict_ != Verdict::kPending) return;
  if (!signature.Conclusive() || (failed_ > 0 && !(signature == first_))) {
    verdict_ = Verdict::kInconclusive;
    return;
  }
  if (failed_++ == 0) {
    first_ = signature;
    reason_ = reason;
  }
  stage2_ = true;
  if (failed_ >= probe_rows()) verdict_ = Verdict::kFailed;
}

bool CanaryProbe::TakePassed() {
  if (verdict_ != Verdict::kPassed || reported_) return false;
  reported_ = true;
  return true;
}

}  // namespace sieve
