#include "worker/endpoint_pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/redact.h"

namespace sieve {

EndpointPool::EndpointPool(std::vector<std::string> urls, EndpointPoolOptions options,
                           const Clock& clock)
    : urls_(std::move(urls)), options_(options), clock_(clock), state_(urls_.size()),
      tallies_(urls_.size()) {
  for (const std::string& url : urls_) names_.push_back(RedactUrl(url));
}

uint64_t EndpointPool::all_mask() const {
  return urls_.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << urls_.size()) - 1;
}

bool EndpointPool::Available(const State& s, int64_t now) const {
  if (s.cooldown_until_ms > now || s.rate_limited_until_ms > now) return false;
  return !(HalfOpen(s, now) && s.probing);
}

bool EndpointPool::in_cooldown(int endpoint) const {
  const State& s = state_[endpoint];
  const int64_t now = clock_.NowMs();
  return s.cooldown_until_ms > now || (HalfOpen(s, now) && s.probing);
}

bool EndpointPool::AnyAvailable(uint64_t avoid) const {
  const int64_t now = clock_.NowMs();
  for (size_t e = 0; e < state_.size(); ++e) {
    if ((avoid >> e & 1) == 0 && Available(state_[e], now)) return true;
  }
  return false;
}

double EndpointPool::Estimate(const State& s, double fastest, int64_t now) const {
  if (s.latency_ms <= 0) return fastest;
  if (s.outstanding > 0 || s.latency_ms <= fastest) return s.latency_ms;
  const double idle_ms = static_cast<double>(now - s.last_answer_ms);
  const double half_lives = idle_ms / static_cast<double>(options_.latency_half_life.count());
  return fastest + (s.latency_ms - fastest) * std::exp2(-half_lives);
}

template <typename Eligible>
int EndpointPool::Best(Eligible eligible) {
  const int64_t now = clock_.NowMs();
  double fastest = std::numeric_limits<double>::max();
  for (const State& s : state_) {
    if (s.latency_ms > 0) fastest = std::min(fastest, s.latency_ms);
  }
  if (fastest == std::numeric_limits<double>::max()) fastest = 1;
  int best = -1;
  double best_score = 0;
  const size_t n = state_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t e = (next_tie_ + i) % n;
    if (!eligible(e)) continue;
    const State& s = state_[e];
    const double latency = Estimate(s, fastest, now);
    const double score = (s.outstanding + 1) * latency;
    if (best < 0 || score < best_score) {
      best = static_cast<int>(e);
      best_score = score;
    }
  }
  if (best >= 0) next_tie_ = (static_cast<size_t>(best) + 1) % n;
  return best;
}

int EndpointPool::Pick(uint64_t avoid) {
  const int64_t now = clock_.NowMs();
  auto untried = [&](size_t e) { return (avoid >> e & 1) == 0; };
  int e = Best([&](size_t i) { return untried(i) && Available(state_[i], now); });
  if (e < 0) e = Best([&](size_t i) { return Available(state_[i], now); });
  if (e < 0) e = Best(untried);  // panic: every endpoint rests
  if (e < 0) e = Best([](size_t) { return true; });
  State& s = state_[e];
  if (HalfOpen(s, now)) s.probing = true;
  ++s.outstanding;
  return e;
}

void EndpointPool::CoolDown(State& s, int64_t now) {
  ++s.trips;
  const int shift = std::min(s.trips - 1, 20);
  const int64_t rest = std::min<int64_t>(options_.cooldown_max.count(),
                                         options_.cooldown_base.count() << shift);
  s.cooldown_until_ms = now + rest;
  s.probing = false;
}

void EndpointPool::Finish(int endpoint, Answer answer, std::chrono::microseconds latency,
                          std::chrono::milliseconds retry_after) {
  State& s = state_[endpoint];
  const int64_t now = clock_.NowMs();
  if (s.outstanding > 0) --s.outstanding;
  s.last_answer_ms = now;
  const bool was_probe = HalfOpen(s, now) && s.probing;
  const double sample_ms = std::max(0.001, latency.count() / 1000.0);
  Tally& tally = tallies_[endpoint];
  switch (answer) {
    case Answer::kSuccess:
      ++tally.answered;
      s.latency_ms = s.latency_ms == 0 ? sample_ms
                                       : s.latency_ms + options_.latency_weight *
                                                            (sample_ms - s.latency_ms);
      s.failures_in_a_row = 0;
      s.trips = 0;
      s.cooldown_until_ms = 0;
      s.probing = false;
      return;
    case Answer::kFailure:
      ++tally.failed;
      // A slow failure (a timeout) says the endpoint is slow; a fast one (refused) says
      // nothing about its speed and must not make it look attractive.
      if (sample_ms > s.latency_ms) {
        s.latency_ms += options_.latency_weight * (sample_ms - s.latency_ms);
      }
      ++s.failures_in_a_row;
      if (s.cooldown_until_ms > now) return;  // already resting: requests sent before it
      if (was_probe || s.failures_in_a_row >= options_.failure_threshold) CoolDown(s, now);
      return;
    case Answer::kRateLimited: {
      ++tally.rate_limited;
      const int64_t rest =
          retry_after.count() > 0 ? retry_after.count() : options_.rate_limit_rest.count();
      s.rate_limited_until_ms = std::max(s.rate_limited_until_ms, now + rest);
      if (was_probe) s.probing = false;  // alive: the next request may probe again
      return;
    }
    case Answer::kNeutral:
      ++tally.refused;
      if (was_probe) s.probing = false;
      return;
  }
}

std::vector<EndpointPool::Tally> EndpointPool::TakeTallies() {
  std::vector<Tally> taken(tallies_.size());
  taken.swap(tallies_);
  return taken;
}

void EndpointPool::Forget(int endpoint) {
  State& s = state_[endpoint];
  if (s.outstanding > 0) --s.outstanding;
  s.probing = false;
}

std::string EndpointPool::Names(uint64_t mask) const {
  std::string names;
  for (size_t e = 0; e < urls_.size(); ++e) {
    if ((mask >> e & 1) == 0) continue;
    if (!names.empty()) names += ", ";
    names += names_[e];
  }
  return names;
}

}  // namespace sieve
