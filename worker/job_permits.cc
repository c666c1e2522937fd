#include "worker/job_permits.h"

#include <algorithm>

namespace sieve {

JobPermits::JobPermits(std::string job_id, const Clock& clock, Send send, uint32_t want,
                       uint64_t tokens_each, PermitCounters* counters)
    : job_id_(std::move(job_id)),
      clock_(clock),
      send_(std::move(send)),
      want_(std::max<uint32_t>(1, want)),
      tokens_each_(std::max<uint64_t>(1, tokens_each)),
      charge_each_(0),
      counters_(counters) {}

void JobPermits::DropExpired(int64_t now) {
  while (!grants_.empty() && (grants_.front().expires_ms <= now || grants_.front().left == 0)) {
    grants_.pop_front();
  }
}

uint64_t JobPermits::held() {
  DropExpired(clock_.NowMs());
  uint64_t n = 0;
  for (const Grant& g : grants_) n += g.left;
  return n;
}

bool JobPermits::Ready() {
  if (unlimited_) return true;
  const int64_t now = clock_.NowMs();
  const uint64_t have = held();
  if (have * 2 < want_) MaybeAsk(now);  // ask ahead, before running dry
  if (have > 0) {
    if (waiting_since_ms_ >= 0) counters_->wait_ms += static_cast<uint64_t>(now - waiting_since_ms_);
    waiting_since_ms_ = -1;
    return true;
  }
  if (waiting_since_ms_ < 0) {
    waiting_since_ms_ = now;
    ++counters_->waits;
  }
  return false;
}

void JobPermits::Take() {
  if (unlimited_) return;
  DropExpired(clock_.NowMs());
  if (!grants_.empty()) --grants_.front().left;  // the oldest expires first: spend it first
}

void JobPermits::MaybeAsk(int64_t now) {
  if (now < paused_until_ms_ || now < next_ask_ms_) return;
  if (ask_sent_ms_ >= 0 && now - ask_sent_ms_ < kAskTimeoutMs) return;
  proto::PermitAsk ask;
  ask.job_id = job_id_;
  ask.want = want_;
  ask.tokens_each = tokens_each_;
  ask.tokens_actual = std::exchange(tokens_actual_, 0);
  ask.tokens_charged = std::exchange(tokens_charged_, 0);
  ask_sent_ms_ = now;
  ++counters_->asks;
  send_(std::move(ask));
}

void JobPermits::OnUsage(uint64_t tokens) {
  if (unlimited_ || charge_each_ == 0) return;
  tokens_actual_ += tokens;
  tokens_charged_ += charge_each_;
}

void JobPermits::OnRateLimited(const RateLimitSignal& signal) {
  const int64_t now = clock_.NowMs();
  if (signal.http_status != 0) ++counters_->rate_limited;
  if (unlimited_) return;
  grants_.clear();  // a quota said spent: nothing more goes out on what is held
  int64_t pause = signal.http_status != 0 ? std::max(signal.retry_after_ms, kMinPauseMs)
                                          : std::max<int64_t>(signal.reset_requests_ms, 0);
  paused_until_ms_ = std::max(paused_until_ms_, now + pause);
  if (now < reported_until_ms_) return;  // this pause was reported already
  reported_until_ms_ = paused_until_ms_;
  proto::RateLimited report;
  report.job_id = job_id_;
  report.http_status = static_cast<uint32_t>(std::max(0, signal.http_status));
  report.retry_after_ms = static_cast<uint64_t>(std::max<int64_t>(0, signal.retry_after_ms));
  report.remaining_requests = signal.remaining_requests;
  report.reset_requests_ms = static_cast<uint64_t>(std::max<int64_t>(0, signal.reset_requests_ms));
  send_(std::move(report));
}

void JobPermits::OnGrant(const proto::PermitGrant& grant) {
  const int64_t now = clock_.NowMs();
  ask_sent_ms_ = -1;
  if (grant.unlimited != 0) {
    unlimited_ = true;
    grants_.clear();
    return;
  }
  if (grant.paused_ms > 0) paused_until_ms_ = std::max(paused_until_ms_, now + grant.paused_ms);
  if (grant.count == 0) {
    next_ask_ms_ = now + kEmptyRetryMs;
    return;
  }
  if (now < paused_until_ms_) return;  // granted before a pause we saw: not spent
  charge_each_ = grant.tokens / grant.count;
  grants_.push_back({grant.count, now + int64_t{grant.ttl_ms} * 9 / 10});
}

void JobPermits::OnVoid(const proto::PermitsVoid& void_message) {
  grants_.clear();
  paused_until_ms_ = std::max(paused_until_ms_, clock_.NowMs() + void_message.paused_ms);
  ask_sent_ms_ = -1;
}

}  // namespace sieve
