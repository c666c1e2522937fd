// CanaryProbe: the worker's half of a job's canary (broker/canary.h): which of the canary
// chunk's rows may be sent yet, and the verdict.
//
// DESIGN
// Stage 1 sends the chunk's first row alone. A label: PASSED (the broker fans the job out and
// the chunk goes on as usual). A failure that retrying cannot fix (FailureSignature::Conclusive:
// HTTP 4xx other than 408/429, an answer without the label field or not JSON, an answer
// outside --labels after its re-asks): stage 2 sends the next kFollowers rows
// concurrently. Every probe row failed with the same signature: FAILED, quoting the first
// row's answer; the chunk's other rows are never sent. A label in stage 2: PASSED. Probe rows
// failing differently, or transiently past the probe's patience (the engine retries probe rows
// with backoff past --retries while Patient()): INCONCLUSIVE, and the chunk is labelled the
// ordinary way (its commit releases the job at the broker). A conclusive failure of a row
// that is not a probe row cannot happen: rows past SendLimit() are not sent while undecided.
// An untrusted TLS certificate is not conclusive: trust is the worker's set-up (its CA file),
// not the job's, so the chunk goes the ordinary way (handed back as unusable from this
// worker, for one that trusts the endpoint; worker_node.h). The patience is short (15 s): an
// endpoint starting up passes; a longer outage is the retry machinery's (relabel rounds), and
// the rest of the job waits for the canary no longer than that.
//
// Thread-safety: not thread-safe; owned by the engine's chunk tracker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sieve {

// How a row failed for good, as far as the canary (and the running judgement) cares.
struct FailureSignature {
  enum class Kind : uint8_t {
    kOther,         // local or unclassified (not sent, too large, ...): not conclusive
    kTransient,     // connect errors, timeouts, 5xx, 429, 408 past their retries
    kHttp,          // an HTTP status that retrying cannot change (4xx but 408/429)
    kBadAnswer,     // 2xx whose body has no readable label (not JSON, no label field)
    kInvalidLabel,  // the answer is not one of --labels, re-asks included
    kTlsTrust,      // the endpoint's certificate is not trusted (this worker's set-up)
  };
  Kind kind = Kind::kOther;
  int http_status = 0;  // for kHttp

  static FailureSignature Http(int status);  // kHttp, or kTransient for 408/429/5xx
  bool Conclusive() const {
    return kind == Kind::kHttp || kind == Kind::kBadAnswer || kind == Kind::kInvalidLabel;
  }
  // The endpoint refuses the credentials (401/403): while running, the job pauses
  // (EngineOptions::pause_on_refusal) rather than labelling rows `error`.
  bool Refusal() const {
    return kind == Kind::kHttp && (http_status == 401 || http_status == 403);
  }
  bool operator==(const FailureSignature&) const = default;
};

class CanaryProbe {
 public:
  static constexpr size_t kFollowers = 4;           // rows sent together in stage 2
  static constexpr int64_t kPatienceMs = 15'000;    // transient failures retried this long

  enum class Verdict { kPending, kPassed, kFailed, kInconclusive };

  CanaryProbe(size_t rows, int64_t started_ms) : rows_(rows), started_ms_(started_ms) {}

  // Rows [0, SendLimit()) may be sent now.
  size_t SendLimit() const;
  // Whether a transient failure of a probe row at `now_ms` is retried past --retries.
  bool Patient(int64_t now_ms) const {
    return verdict_ == Verdict::kPending && now_ms - started_ms_ < kPatienceMs;
  }

  void OnLabel();
  void OnFailure(const FailureSignature& signature, const std::string& reason);

  Verdict verdict() const { return verdict_; }
  // The answer that failed the canary (the first probe row's reason).
  const std::string& reason() const { return reason_; }
  // True once, the first time it is called after the verdict became kPassed.
  bool TakePassed();

 private:
  size_t probe_rows() const { return rows_ < 1 + kFollowers ? rows_ : 1 + kFollowers; }

  const size_t rows_;
  const int64_t started_ms_;
  Verdict verdict_ = Verdict::kPending;
  bool stage2_ = false;
  size_t failed_ = 0;
  FailureSignature first_;
  std::string reason_;
  bool reported_ = false;
};

}  // namespace sieve
