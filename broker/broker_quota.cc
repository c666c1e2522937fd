// The broker's rate-limit messages (docs/limits.md): PERMIT_ASK, RATE_LIMITED, LIMITS. The
// rules live in broker/quota_service.h; these handlers only route messages to and from it.
#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace sieve {

void Broker::JoinQuotas() {
  for (const auto& [id, job] : book_->jobs()) {
    if (!job.active()) continue;
    Status s = quota_.Join(id, job.spec);
    if (!s.ok()) spdlog::error("job {}: its rate limit is unusable: {}", id, s.ToString());
  }
}

void Broker::OnPermitAsk(const std::string& peer, const proto::PermitAsk& ask) {
  if (!workers_.contains(peer)) {
    Reply(peer, proto::Disconnect{"unknown peer: send READY"});
    return;
  }
  Reply(peer, quota_.Ask(peer, ask));
}

void Broker::OnRateLimited(const std::string& peer, const proto::RateLimited& report) {
  if (!workers_.contains(peer)) return;
  for (auto& [worker, message] : quota_.RateLimited(peer, report)) {
    if (workers_.contains(worker)) Reply(worker, std::move(message));
  }
}

void Broker::OnLimits(const std::string& peer, const proto::LimitsQuery& query) {
  proto::LimitsReply reply;
  reply.request_id = query.request_id;
  reply.keys = quota_.Limits();
  Reply(peer, std::move(reply));
}

}  // namespace sieve
