#include "client/resume_command.h"

#include <cstdio>

#include "client/exit_codes.h"
#include "client/broker_request.h"
#include "common/token_price.h"

namespace sieve {

int ResumeCommand(const ClientOptions& client, const std::string& job_id,
                  const ResumeOptions& options) {
  if (options.max_cost) {
    Result<double> amount = ParseCostAmount(*options.max_cost);
    if (!amount.ok()) return FailCommand(amount.status());
  }
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status());
  uint64_t id = broker->NextRequestId();
  proto::Resume resume;
  resume.request_id = id;
  resume.job_id = job_id;
  resume.headers = options.headers;
  resume.max_cost = options.max_cost;
  resume.max_tokens = options.max_tokens;
  Result<proto::Message> reply =
      broker->Call(std::move(resume), id, kBrokerReplyTimeout);
  if (!reply.ok()) return FailCommand(reply.status());
  const auto& resumed = std::get<proto::ResumeReply>(*reply);
  std::fprintf(stderr, "sieve: %s\n", resumed.message.c_str());
  return kExitOk;
}

}  // namespace sieve
