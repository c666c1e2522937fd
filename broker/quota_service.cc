#include "broker/quota_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sieve {
namespace {

uint32_t Clamp32(int64_t ms) {
  return static_cast<uint32_t>(std::clamp<int64_t>(ms, 0, UINT32_MAX));
}

}  // namespace

Result<std::pair<std::string, QuotaLimits>> ParseLimitFlag(const std::string& text) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("--limit '" + text + "': " + why +
                                   " (expected NAME=600/min[,tokens=90000/min])");
  };
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return invalid("no key name");
  std::string name = text.substr(0, eq);
  QuotaLimits limits;
  size_t start = eq + 1;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string part = text.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) return invalid("an empty part");
    bool tokens = part.rfind("tokens=", 0) == 0;
    bool requests = part.rfind("requests=", 0) == 0;
    std::string rate_text = tokens ? part.substr(7) : requests ? part.substr(9) : part;
    Result<Rate> rate = ParseRate(rate_text);
    if (!rate.ok()) return invalid(rate.status().message());
    if (tokens) {
      if (limits.tokens) return invalid("tokens given twice");
      limits.tokens = *rate;
    } else {
      if (limits.requests) return invalid("the request rate given twice");
      limits.requests = *rate;
    }
  }
  return std::pair{name, limits};
}

Result<QuotaLimits> LimitsOfSpec(const proto::JobSpec& spec) {
  QuotaLimits limits;
  for (auto [text, out, flag] : {std::tuple{&spec.rate, &limits.requests, "--rate"},
                                 std::tuple{&spec.token_rate, &limits.tokens, "--token-rate"}}) {
    if (text->empty()) continue;
    Result<Rate> rate = ParseRate(*text);
    if (!rate.ok()) return Status::InvalidArgument(std::string(flag) + ": " + rate.status().message());
    *out = *rate;
  }
  return limits;
}

bool SpecIsRateLimited(const proto::JobSpec& spec) {
  return !spec.rate.empty() || !spec.token_rate.empty() || !spec.limit_key.empty();
}

QuotaService::QuotaService(const Clock& clock, QuotaOptions options,
                           const std::map<std::string, QuotaLimits>& caps)
    : clock_(clock), options_(options), book_(clock, options) {
  for (const auto& [key, cap] : caps) book_.SetCap(key, cap);
}

Status QuotaService::Join(const std::string& job_id, const proto::JobSpec& spec) {
  if (!SpecIsRateLimited(spec)) return Status::Ok();
  Result<QuotaLimits> asked = LimitsOfSpec(spec);
  if (!asked.ok()) return asked.status();
  const std::string key = spec.limit_key.empty() ? job_id : spec.limit_key;
  key_of_job_[job_id] = key;
  book_.Join(key, job_id, *asked);
  return Status::Ok();
}

void QuotaService::Leave(const std::string& job_id) {
  auto it = key_of_job_.find(job_id);
  if (it == key_of_job_.end()) return;
  book_.Leave(it->second, job_id);
  key_of_job_.erase(it);
  std::erase_if(holders_, [&](const auto& kv) { return kv.first.second == job_id; });
}

proto::PermitGrant QuotaService::Ask(const std::string& worker, const proto::PermitAsk& ask) {
  const int64_t now = clock_.NowMs();
  proto::PermitGrant reply;
  reply.job_id = ask.job_id;
  reply.ttl_ms = Clamp32(options_.permit_ttl_ms);
  auto it = key_of_job_.find(ask.job_id);
  if (it == key_of_job_.end()) return reply;  // unknown or ended job: nothing to grant
  const std::string& key = it->second;
  if (!book_.Limited(key)) {
    reply.count = ask.want;
    reply.unlimited = 1;
    return reply;
  }
  if (ask.tokens_actual != ask.tokens_charged) {
    book_.CorrectTokens(key, static_cast<int64_t>(ask.tokens_actual) -
                                 static_cast<int64_t>(ask.tokens_charged));
  }
  PermitGrant grant = book_.Ask(key, ask.job_id, ask.want, ask.tokens_each);
  reply.count = static_cast<uint32_t>(std::min<uint64_t>(grant.requests, UINT32_MAX));
  reply.tokens = grant.tokens;
  reply.paused_ms = Clamp32(grant.paused_until_ms - now);
  if (grant.requests > 0) {
    events_.granted += grant.requests;
    int64_t& until = holders_[{worker, ask.job_id}];
    until = std::max(until, grant.expires_ms);
  }
  return reply;
}

std::vector<std::pair<std::string, proto::PermitsVoid>> QuotaService::RateLimited(
    const std::string& worker, const proto::RateLimited& report) {
  std::vector<std::pair<std::string, proto::PermitsVoid>> voids;
  auto it = key_of_job_.find(report.job_id);
  if (it == key_of_job_.end()) return voids;
  const std::string key = it->second;
  const int64_t now = clock_.NowMs();
  ++events_.rate_limited;
  bool paused = false;
  if (report.http_status != 0) {
    paused = book_.RateLimited(key, static_cast<int64_t>(
                                        std::min<uint64_t>(report.retry_after_ms, INT32_MAX)));
  }
  if (report.remaining_requests) {
    paused |= book_.ProviderRemaining(
        key, *report.remaining_requests,
        static_cast<int64_t>(std::min<uint64_t>(report.reset_requests_ms, INT32_MAX)));
  }
  if (!paused) return voids;
  ++events_.pauses;
  int64_t paused_until = now;
  for (const QuotaKeyStatus& status : book_.Status()) {
    if (status.key == key) paused_until = status.paused_until_ms;
  }
  spdlog::warn("limit key {}: {} reported by worker; paused for {} ms", key,
               report.http_status != 0 ? "HTTP " + std::to_string(report.http_status)
                                       : std::string("quota spent"),
               paused_until - now);
  for (auto h = holders_.begin(); h != holders_.end();) {
    if (h->second <= now) {  // expired: nothing left to void
      h = holders_.erase(h);
      continue;
    }
    auto job = key_of_job_.find(h->first.second);
    if (job != key_of_job_.end() && job->second == key) {
      if (h->first.first != worker) {
        voids.push_back({h->first.first,
                         proto::PermitsVoid{h->first.second, Clamp32(paused_until - now)}});
      }
      h = holders_.erase(h);
      continue;
    }
    ++h;
  }
  return voids;
}

void QuotaService::WorkerGone(const std::string& worker) {
  std::erase_if(holders_, [&](const auto& kv) { return kv.first.first == worker; });
}

std::vector<proto::LimitInfo> QuotaService::Limits() {
  const int64_t now = clock_.NowMs();
  std::vector<proto::LimitInfo> out;
  for (const QuotaKeyStatus& status : book_.Status()) {
    proto::LimitInfo info;
    info.key = status.key;
    if (status.limits.requests) info.rate = FormatRate(*status.limits.requests);
    if (status.limits.tokens) info.token_rate = FormatRate(*status.limits.tokens);
    info.granted_last_minute = static_cast<uint64_t>(status.requests_per_second * 60.0 + 0.5);
    info.paused_ms = static_cast<uint64_t>(std::max<int64_t>(0, status.paused_until_ms - now));
    info.pauses = status.pauses;
    info.rate_limited = status.rate_limited;
    info.granted = status.granted;
    info.jobs = status.jobs;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace sieve
