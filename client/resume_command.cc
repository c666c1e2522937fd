#include "client/resume_command.h"

#include <cstdio>

#include "client/exit_codes.h"
#include "client/peer_connection.h"
#include "common/token_price.h"

namespace sieve {

int ResumeCommand(const ClientOptions& client, const std::string& job_id,
                  const ResumeOptions& options) {
  if (options.max_cost) {
    Result<double> amount = ParseCostAmount(*options.max_cost);
    if (!amount.ok()) {
      std::fprintf(stderr, "sieve: %s\n", amount.status().message().c_str());
      return kExitUsage;
    }
  }
  zmq::context_t context;
  Result<PeerConnection> broker = PeerConnection::Connect(context, client.broker, client.curve,
                                                          client.curve.broker_public_key);
  if (!broker.ok()) {
    std::fprintf(stderr, "sieve: %s\n", broker.status().message().c_str());
    return ExitCodeFor(broker.status());
  }
  uint64_t id = broker->NextRequestId();
  proto::Resume resume;
  resume.request_id = id;
  resume.job_id = job_id;
  resume.headers = options.headers;
  resume.max_cost = options.max_cost;
  resume.max_tokens = options.max_tokens;
  Result<proto::Message> reply =
      broker->Call(std::move(resume), id, std::chrono::milliseconds(10'000));
  if (!reply.ok()) {
    std::fprintf(stderr, "sieve: %s\n", reply.status().message().c_str());
    return ExitCodeFor(reply.status());
  }
  const auto& resumed = std::get<proto::ResumeReply>(*reply);
  std::fprintf(stderr, "sieve: %s\n", resumed.message.c_str());
  return kExitOk;
}

}  // namespace sieve
