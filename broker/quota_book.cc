#include "broker/quota_book.h"

#include <algorithm>
#include <cmath>

namespace sieve {
namespace {

// The stricter of two optional rates (absent = no limit).
std::optional<Rate> Stricter(std::optional<Rate> a, std::optional<Rate> b) {
  if (!a) return b;
  if (!b) return a;
  return Rate::Min(*a, *b);
}

uint64_t Whole(double level) { return level < 1 ? 0 : static_cast<uint64_t>(std::floor(level)); }

}  // namespace

QuotaBook::QuotaBook(const Clock& clock, QuotaOptions options)
    : clock_(clock), options_(options), grants_from_ms_(clock.NowMs() + options.permit_ttl_ms) {}

double QuotaBook::Burst(Rate rate) const {
  return std::max(1.0, rate.per_second * options_.burst_seconds);
}

void QuotaBook::SetCap(const std::string& key, QuotaLimits cap) {
  Key& entry = keys_[key];
  entry.cap = cap;
  Recompute(entry, clock_.NowMs());
}

void QuotaBook::Join(const std::string& key, const std::string& job_id, QuotaLimits asked) {
  Key& entry = keys_[key];
  entry.jobs[job_id].asked = asked;
  Recompute(entry, clock_.NowMs());
}

void QuotaBook::Leave(const std::string& key, const std::string& job_id) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  it->second.jobs.erase(job_id);
  if (it->second.jobs.empty() && it->second.cap.empty()) {
    keys_.erase(it);
    return;
  }
  Recompute(it->second, clock_.NowMs());
}

bool QuotaBook::Limited(const std::string& key) const {
  auto it = keys_.find(key);
  return it != keys_.end() && !it->second.limits.empty();
}

void QuotaBook::Recompute(Key& key, int64_t now) {
  QuotaLimits limits = key.cap;
  for (const auto& [id, job] : key.jobs) {
    limits.requests = Stricter(limits.requests, job.asked.requests);
    limits.tokens = Stricter(limits.tokens, job.asked.tokens);
  }
  key.limits = limits;
  auto fit = [&](std::optional<TokenBucket>& bucket, std::optional<Rate> rate, double share) {
    if (!rate) {
      bucket.reset();
      return;
    }
    double per_second = rate->per_second / share;
    double burst = std::max(1.0, Burst(*rate) / share);
    if (bucket) {
      bucket->SetRate(per_second, burst, now);
    } else {
      // Starts empty, and fills only from when grants may start: no burst is saved up while
      // permits of a previous broker may still be spent.
      bucket.emplace(per_second, burst, std::max(now, grants_from_ms_));
    }
  };
  fit(key.requests, limits.requests, 1);
  fit(key.tokens, limits.tokens, 1);
  size_t active = 0;
  for (const auto& [id, job] : key.jobs) {
    active += now - job.last_ask_ms <= options_.active_window_ms ? 1 : 0;
  }
  double share = static_cast<double>(std::max<size_t>(active, 1));
  for (auto& [id, job] : key.jobs) fit(job.requests, limits.requests, share);
}

PermitGrant QuotaBook::Ask(const std::string& key, const std::string& job_id, uint64_t want,
                           uint64_t tokens_each) {
  int64_t now = clock_.NowMs();
  PermitGrant grant;
  grant.expires_ms = now + options_.permit_ttl_ms;
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.limits.empty()) {
    grant.requests = want;  // no limit on this key
    return grant;
  }
  Key& entry = it->second;
  if (now < grants_from_ms_) return grant;  // permits of a previous broker may still be spent
  if (entry.paused_until_ms > now) {
    grant.paused_until_ms = entry.paused_until_ms;
    return grant;
  }
  JobShare& job = entry.jobs[job_id];
  job.last_ask_ms = now;
  Recompute(entry, now);  // the jobs asking may have changed, and with them the shares

  uint64_t n = want;
  if (entry.requests) {
    n = std::min({n, Whole(entry.requests->Level(now)), Whole(job.requests->Level(now))});
  }
  if (entry.tokens && tokens_each > 0) {
    n = std::min(n, Whole(entry.tokens->Level(now) / static_cast<double>(tokens_each)));
  }
  if (n == 0) return grant;
  if (entry.requests) {
    entry.requests->Take(n, now);
    job.requests->Take(n, now);
  }
  if (entry.tokens) {
    grant.tokens = n * tokens_each;
    entry.tokens->Debit(static_cast<double>(grant.tokens), now);
  }
  grant.requests = n;
  CountGrant(entry, n, now);
  return grant;
}

void QuotaBook::CorrectTokens(const std::string& key, int64_t delta) {
  auto it = keys_.find(key);
  if (it == keys_.end() || !it->second.tokens) return;
  it->second.tokens->Debit(static_cast<double>(delta), clock_.NowMs());
}

bool QuotaBook::RateLimited(const std::string& key, int64_t retry_after_ms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  ++it->second.rate_limited;
  return Pause(it->second, retry_after_ms);
}

bool QuotaBook::Pause(Key& entry, int64_t for_ms) {
  int64_t until = clock_.NowMs() + std::max(for_ms, options_.min_pause_ms);
  if (until <= entry.paused_until_ms) return false;
  entry.paused_until_ms = until;
  ++entry.pauses;
  // Resume from nothing when the pause ends: the buckets refill only from `until`.
  if (entry.requests) entry.requests->EmptyAt(until);
  if (entry.tokens) entry.tokens->EmptyAt(until);
  for (auto& [id, job] : entry.jobs) {
    if (job.requests) job.requests->EmptyAt(until);
  }
  return true;
}

bool QuotaBook::ProviderRemaining(const std::string& key, uint64_t remaining, int64_t reset_ms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (remaining == 0) return Pause(it->second, reset_ms);
  if (it->second.requests) {
    it->second.requests->CapAt(static_cast<double>(remaining), clock_.NowMs());
  }
  return false;
}

void QuotaBook::CountGrant(Key& key, uint64_t requests, int64_t now) {
  key.granted += requests;
  int64_t second = now / 1000;
  if (second - key.ring_second >= static_cast<int64_t>(key.granted_per_second.size())) {
    key.granted_per_second.fill(0);
  } else {
    for (int64_t s = key.ring_second + 1; s <= second; ++s) {
      key.granted_per_second[static_cast<size_t>(s) % key.granted_per_second.size()] = 0;
    }
  }
  key.ring_second = std::max(key.ring_second, second);
  key.granted_per_second[static_cast<size_t>(second) % key.granted_per_second.size()] += requests;
}

std::vector<QuotaKeyStatus> QuotaBook::Status() {
  int64_t now = clock_.NowMs();
  std::vector<QuotaKeyStatus> out;
  for (auto& [name, key] : keys_) {
    CountGrant(key, 0, now);  // ages the ring to now
    QuotaKeyStatus status;
    status.key = name;
    status.limits = key.limits;
    uint64_t last_minute = 0;
    for (uint64_t n : key.granted_per_second) last_minute += n;
    status.requests_per_second = static_cast<double>(last_minute) / 60.0;
    status.paused_until_ms = key.paused_until_ms;
    status.pauses = key.pauses;
    status.rate_limited = key.rate_limited;
    status.granted = key.granted;
    for (const auto& [id, job] : key.jobs) status.jobs.push_back(id);
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace sieve
