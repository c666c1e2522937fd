#include "client/broker_request.h"

#include "client/exit_codes.h"

namespace sieve {

Result<PeerConnection> ConnectBroker(zmq::context_t& context, const ClientOptions& client) {
  return PeerConnection::Connect(context, client.broker, client.curve,
                                 client.curve.broker_public_key);
}

int FailCommand(const Status& status, JobControl* control) {
  Tell(control, "sieve: %s\n", status.message().c_str());
  return ExitCodeFor(status);
}

}  // namespace sieve
