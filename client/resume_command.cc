#include "client/resume_command.h"

#include <cstdio>

#include "client/exit_codes.h"
#include "client/peer_connection.h"

namespace sieve {

int ResumeCommand(const ClientOptions& client, const std::string& job_id,
                  const std::vector<std::string>& headers) {
  zmq::context_t context;
  Result<PeerConnection> broker = PeerConnection::Connect(context, client.broker, client.curve,
                                                          client.curve.broker_public_key);
  if (!broker.ok()) {
    std::fprintf(stderr, "sieve: %s\n", broker.status().message().c_str());
    return ExitCodeFor(broker.status());
  }
  uint64_t id = broker->NextRequestId();
  Result<proto::Message> reply =
      broker->Call(proto::Resume{id, job_id, headers}, id, std::chrono::milliseconds(10'000));
  if (!reply.ok()) {
    std::fprintf(stderr, "sieve: %s\n", reply.status().message().c_str());
    return ExitCodeFor(reply.status());
  }
  const auto& resumed = std::get<proto::ResumeReply>(*reply);
  std::fprintf(stderr, "sieve: %s\n", resumed.message.c_str());
  return kExitOk;
}

}  // namespace sieve
