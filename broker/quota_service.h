// QuotaService: the broker's side of cluster-wide rate limits (docs/limits.md): which jobs use
// which limit key, the permits they are granted (PERMIT_ASK -> PERMIT_GRANT), the pauses that
// workers' 429s start (RATE_LIMITED -> PERMITS_VOID to every worker holding permits for the
// key), and what `sieve limits` and the metrics show. The arithmetic (buckets, shares, pauses)
// is broker/quota_book.h; this class maps jobs and workers onto it.
//
// DESIGN
// A job is rate-limited when its spec names a rate, a token rate or a limit key; its key is
// its limit key or, without one, its job id. The operator's caps (`--limit NAME=...`) are set
// once at start. The service remembers, per (worker, job), until when the permits it granted
// may be spent, so a pause voids exactly the permits still alive. A new QuotaService (a
// restarted broker) grants nothing for one permit TTL and starts every bucket empty
// (QuotaBook), so permits of the previous broker expire before new ones are granted.
//
// Cost: Ask O(jobs on the key); RateLimited O(live holders); Status O(keys + jobs).
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/quota_book.h"
#include "common/clock.h"
#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

// Parses the broker's `--limit NAME=600/min[,tokens=90000/min]`. InvalidArgument naming the
// text otherwise (no name, no rate, a bad rate, an unknown part).
Result<std::pair<std::string, QuotaLimits>> ParseLimitFlag(const std::string& text);

// The limits a job spec asks for; InvalidArgument naming --rate or --token-rate when one does
// not parse.
Result<QuotaLimits> LimitsOfSpec(const proto::JobSpec& spec);

// True when the spec asks for rate limiting (a rate, a token rate or a limit key).
bool SpecIsRateLimited(const proto::JobSpec& spec);

struct QuotaEvents {
  uint64_t granted = 0;       // requests granted in all
  uint64_t pauses = 0;        // pauses started or extended
  uint64_t rate_limited = 0;  // RATE_LIMITED reports
};

class QuotaService {
 public:
  QuotaService(const Clock& clock, QuotaOptions options,
               const std::map<std::string, QuotaLimits>& caps);

  // The job uses its key from now on (a submit, or an active job reloaded after a restart).
  // Nothing happens for a job that is not rate-limited. InvalidArgument for a bad rate.
  Status Join(const std::string& job_id, const proto::JobSpec& spec);
  // The job ended, was cancelled or forgotten.
  void Leave(const std::string& job_id);

  // PERMIT_ASK from `worker`: the grant to send back.
  proto::PermitGrant Ask(const std::string& worker, const proto::PermitAsk& ask);
  // RATE_LIMITED from `worker`: pauses the job's key; returns the PERMITS_VOID messages to
  // send, by worker (every other worker holding live permits of a job on that key).
  std::vector<std::pair<std::string, proto::PermitsVoid>> RateLimited(
      const std::string& worker, const proto::RateLimited& report);
  // The worker is gone: its permits are forgotten (they expire on their own).
  void WorkerGone(const std::string& worker);

  std::vector<proto::LimitInfo> Limits();
  std::vector<QuotaKeyStatus> KeyStatus() { return book_.Status(); }
  const QuotaEvents& events() const { return events_; }

 private:
  const Clock& clock_;
  QuotaOptions options_;
  QuotaBook book_;
  std::map<std::string, std::string> key_of_job_;  // rate-limited jobs only
  // (worker, job) -> until when the permits granted to it may be spent
  std::map<std::pair<std::string, std::string>, int64_t> holders_;
  QuotaEvents events_;
};

}  // namespace sieve
