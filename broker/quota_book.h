// QuotaBook: the cluster-wide rate limits the broker holds, one per limit key, and the permits
// it grants against them (docs/architecture.md, "Quotas").
//
// DESIGN
// A limit key (a job's `--limit-key`, or its job id) has a request bucket and, when a token
// rate is set, a token bucket (broker/token_bucket.h). Its limits are the strictest of the
// operator's cap for the key (`--limit`) and the rates asked by the jobs using it. Workers ask
// for permits; a grant is taken from the key's buckets and from the asking job's share (the
// key's rate divided by the jobs that asked recently), so jobs sharing a key get equal parts
// and a job alone gets all of it. Grants are valid for `permit_ttl_ms`; a permit not spent by
// then is void, never given back (so a dead worker's permits vanish and none can be hoarded).
//
// Invariants (what the tests check):
// - requests granted for a key over any window of T ms <= rate * T / 1000 + burst: buckets
//   start empty and only refill at the rate, so a restarted broker (a new QuotaBook) grants
//   nothing for its first `permit_ttl_ms` (permits of its previous life expire meanwhile) and
//   then no more than the rate allows;
// - a pause (a 429 seen anywhere) stops all grants for the key until it ends, then the buckets
//   refill from empty: the first second after a pause grants at most one second of rate;
// - token corrections (actual - estimated) are debited, so the token rate converges on usage.
//
// Cost: Ask O(jobs on the key) (a key has few jobs); the rest O(1) or O(keys).
// Thread-safety: not thread-safe; owned by the broker loop.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/token_bucket.h"
#include "common/clock.h"
#include "common/rate.h"

namespace sieve {

struct QuotaLimits {
  std::optional<Rate> requests;
  std::optional<Rate> tokens;

  bool empty() const { return !requests && !tokens; }
};

struct QuotaOptions {
  int64_t permit_ttl_ms = 2000;  // how long a grant may be spent
  double burst_seconds = 1.0;    // a bucket holds this many seconds of its rate (at least 1 unit)
  int64_t active_window_ms = 4000;  // a job that asked this recently counts for the shares
  int64_t min_pause_ms = 1000;      // a 429 without Retry-After pauses this long
};

struct PermitGrant {
  uint64_t requests = 0;   // how many requests may start
  uint64_t tokens = 0;     // estimated tokens those requests may use (0 without a token rate)
  int64_t expires_ms = 0;  // spend before this (monotonic ms of the broker's clock)
  int64_t paused_until_ms = 0;  // > now when the key is paused (then requests == 0)
};

struct QuotaKeyStatus {
  std::string key;
  QuotaLimits limits;           // effective (cap and jobs' asks combined)
  double requests_per_second = 0;  // granted over the last minute
  int64_t paused_until_ms = 0;
  uint64_t pauses = 0;
  uint64_t rate_limited = 0;       // 429s reported
  uint64_t granted = 0;            // requests granted in all
  std::vector<std::string> jobs;   // jobs using the key
};

class QuotaBook {
 public:
  QuotaBook(const Clock& clock, QuotaOptions options = {});

  // The operator's cap for `key` (applies to every job naming it, now and later).
  void SetCap(const std::string& key, QuotaLimits cap);
  // A job starts using `key` with the limits it asks for (empty: the cap alone). A key with
  // no limit at all (no cap, nothing asked) needs no permits: Limited() says so.
  void Join(const std::string& key, const std::string& job_id, QuotaLimits asked);
  // The job ended or was cancelled: its share goes to the others; a key with no job and no
  // cap is forgotten.
  void Leave(const std::string& key, const std::string& job_id);
  bool Limited(const std::string& key) const;

  // A worker asks for `want` request permits for a job on `key`, each request estimated at
  // `tokens_each` tokens. Grants at most what the buckets and the job's share hold now.
  PermitGrant Ask(const std::string& key, const std::string& job_id, uint64_t want,
                  uint64_t tokens_each);
  // Tokens used beyond (positive) or under (negative) the estimates granted.
  void CorrectTokens(const std::string& key, int64_t delta);
  // A 429 (or 503 with Retry-After) seen on `key`: pause it for `retry_after_ms` (at least
  // min_pause_ms). True when this started or extended the pause (tell the workers).
  bool RateLimited(const std::string& key, int64_t retry_after_ms);
  // A provider's x-ratelimit-remaining-requests / -reset-requests: 0 remaining pauses the key
  // until the reset; otherwise the request bucket is capped at what remains.
  bool ProviderRemaining(const std::string& key, uint64_t remaining, int64_t reset_ms);

  std::vector<QuotaKeyStatus> Status();

 private:
  struct JobShare {
    QuotaLimits asked;
    int64_t last_ask_ms = 0;
    std::optional<TokenBucket> requests;  // the job's share of the key's request rate
  };
  struct Key {
    QuotaLimits cap;
    QuotaLimits limits;  // effective
    std::map<std::string, JobShare> jobs;
    std::optional<TokenBucket> requests;
    std::optional<TokenBucket> tokens;
    int64_t paused_until_ms = 0;
    uint64_t pauses = 0;
    uint64_t rate_limited = 0;
    uint64_t granted = 0;
    std::array<uint64_t, 60> granted_per_second{};  // ring, by second of the clock
    int64_t ring_second = 0;                         // the second the ring's head holds
  };

  void Recompute(Key& key, int64_t now);  // effective limits and the jobs' shares
  bool Pause(Key& key, int64_t for_ms);   // see RateLimited
  void CountGrant(Key& key, uint64_t requests, int64_t now);
  double Burst(Rate rate) const;

  const Clock& clock_;
  QuotaOptions options_;
  int64_t grants_from_ms_;  // nothing is granted before: permits of a previous life expire
  std::map<std::string, Key> keys_;
};

}  // namespace sieve
